/*
 * splice_get: a keep-alive HTTP/1.1 GET load generator for large bodies that never copies them.
 *
 * wrk reads every body through an 8 KiB buffer into user space and tops out near 1.4 GB/s on one core,
 * which measures wrk rather than a sendfile() server. Here each connection's body is moved socket ->
 * pipe -> /dev/null with splice(2): on loopback the pages travel by reference, so the server's send path
 * is what runs out of CPU first.
 *
 * usage: splice_get HOST PORT PATH CONNECTIONS SECONDS
 * One thread per connection (they sleep in splice; the load core stays mostly idle). Prints one line:
 *   RESULT requests=N bytes=N seconds=S p50_us=N p99_us=N errors=N
 * Only numeric loopback addresses are accepted.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HEAD_MAX 16384
#define PIPE_BYTES (1 << 20)

struct worker {
    pthread_t thread;
    struct sockaddr_in addr;
    const char *request;
    size_t request_len;
    double deadline;
    uint64_t requests, bytes, errors;
    uint32_t *latencies_us;
    size_t latency_count, latency_cap;
};

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int open_connection(const struct sockaddr_in *addr) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    struct timeval timeout = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (const struct sockaddr *) addr, sizeof *addr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const char *data, size_t len) {
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0) return -1;
        data += n;
        len -= (size_t) n;
    }
    return 0;
}

/*
 * Reads the response head, leaving the socket positioned at the first body byte (the head is peeked
 * first so no body byte lands in user space). Returns the Content-Length, or -1 on error/non-200.
 */
static long long read_head(int fd, int *keep_alive) {
    char head[HEAD_MAX + 1];
    size_t have = 0;
    char *end = NULL;
    while (end == NULL) {
        ssize_t n = recv(fd, head, HEAD_MAX, MSG_PEEK);
        if (n <= 0) return -1;
        head[n] = '\0';
        end = strstr(head, "\r\n\r\n");
        if (end == NULL && (size_t) n == HEAD_MAX) return -1;
        if (end == NULL && (size_t) n == have) usleep(100);
        have = (size_t) n;
    }
    size_t head_len = (size_t) (end - head) + 4;
    if (recv(fd, head, head_len, 0) != (ssize_t) head_len) return -1;
    head[head_len] = '\0';
    if (strncmp(head, "HTTP/1.1 200", 12) != 0) return -1;
    long long length = -1;
    *keep_alive = 1;
    for (char *line = strstr(head, "\r\n"); line != NULL && line[2] != '\r'; line = strstr(line + 2, "\r\n")) {
        char *field = line + 2;
        if (strncasecmp(field, "content-length:", 15) == 0) length = atoll(field + 15);
        if (strncasecmp(field, "connection:", 11) == 0 && strncasecmp(field + 11 + strspn(field + 11, " "), "close", 5) == 0)
            *keep_alive = 0;
    }
    return length;
}

static int discard_body(int fd, long long length, int pipe_in, int pipe_out, int sink) {
    while (length > 0) {
        size_t chunk = length > PIPE_BYTES ? PIPE_BYTES : (size_t) length;
        ssize_t moved = splice(fd, NULL, pipe_out, NULL, chunk, SPLICE_F_MOVE | SPLICE_F_MORE);
        if (moved <= 0) return -1;
        length -= moved;
        while (moved > 0) {
            ssize_t drained = splice(pipe_in, NULL, sink, NULL, (size_t) moved, SPLICE_F_MOVE);
            if (drained <= 0) return -1;
            moved -= drained;
        }
    }
    return 0;
}

static void record_latency(struct worker *w, double seconds) {
    if (w->latency_count == w->latency_cap) {
        w->latency_cap = w->latency_cap ? w->latency_cap * 2 : 4096;
        w->latencies_us = realloc(w->latencies_us, w->latency_cap * sizeof *w->latencies_us);
        if (w->latencies_us == NULL) abort();
    }
    w->latencies_us[w->latency_count++] = (uint32_t) (seconds * 1e6);
}

static void *run_worker(void *arg) {
    struct worker *w = arg;
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) abort();
    fcntl(pipe_fds[1], F_SETPIPE_SZ, PIPE_BYTES);
    int sink = open("/dev/null", O_WRONLY | O_CLOEXEC);
    int fd = -1;
    while (now_seconds() < w->deadline) {
        if (fd < 0 && (fd = open_connection(&w->addr)) < 0) {
            w->errors++;
            usleep(10000);
            continue;
        }
        double start = now_seconds();
        int keep_alive = 0;
        long long length = -1;
        if (send_all(fd, w->request, w->request_len) == 0) length = read_head(fd, &keep_alive);
        if (length < 0 || discard_body(fd, length, pipe_fds[0], pipe_fds[1], sink) != 0) {
            w->errors++;
            close(fd);
            fd = -1;
            continue;
        }
        record_latency(w, now_seconds() - start);
        w->requests++;
        w->bytes += (uint64_t) length;
        if (!keep_alive) {
            close(fd);
            fd = -1;
        }
    }
    if (fd >= 0) close(fd);
    close(sink);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    return NULL;
}

static int compare_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s HOST PORT PATH CONNECTIONS SECONDS\n", argv[0]);
        return 2;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t) atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1 || (ntohl(addr.sin_addr.s_addr) >> 24) != 127) {
        fprintf(stderr, "splice_get: only numeric loopback addresses (127.x.x.x) are accepted\n");
        return 2;
    }
    int connections = atoi(argv[4]);
    double seconds = atof(argv[5]);
    if (connections < 1 || connections > 1024 || seconds <= 0) {
        fprintf(stderr, "splice_get: CONNECTIONS must be 1..1024 and SECONDS > 0\n");
        return 2;
    }
    char request[1024];
    int request_len = snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: %s:%s\r\n\r\n", argv[3], argv[1], argv[2]);
    struct worker *workers = calloc((size_t) connections, sizeof *workers);
    double started = now_seconds();
    for (int i = 0; i < connections; i++) {
        workers[i].addr = addr;
        workers[i].request = request;
        workers[i].request_len = (size_t) request_len;
        workers[i].deadline = started + seconds;
        if (pthread_create(&workers[i].thread, NULL, run_worker, &workers[i]) != 0) abort();
    }
    uint64_t requests = 0, bytes = 0, errors = 0;
    size_t total_latencies = 0;
    for (int i = 0; i < connections; i++) {
        pthread_join(workers[i].thread, NULL);
        requests += workers[i].requests;
        bytes += workers[i].bytes;
        errors += workers[i].errors;
        total_latencies += workers[i].latency_count;
    }
    double elapsed = now_seconds() - started;
    uint32_t *all = malloc((total_latencies + 1) * sizeof *all);
    size_t filled = 0;
    for (int i = 0; i < connections; i++) {
        memcpy(all + filled, workers[i].latencies_us, workers[i].latency_count * sizeof *all);
        filled += workers[i].latency_count;
        free(workers[i].latencies_us);
    }
    qsort(all, filled, sizeof *all, compare_u32);
    uint32_t p50 = filled ? all[filled / 2] : 0;
    uint32_t p99 = filled ? all[(size_t) ((filled - 1) * 0.99)] : 0;
    printf("RESULT requests=%llu bytes=%llu seconds=%.3f p50_us=%u p99_us=%u errors=%llu\n",
           (unsigned long long) requests, (unsigned long long) bytes, elapsed, p50, p99,
           (unsigned long long) errors);
    free(all);
    free(workers);
    return 0;
}
