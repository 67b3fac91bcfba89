/*
 * idle_hold: opens many keep-alive connections, makes one GET on each, then keeps them all open and
 * silent so the server's memory per idle connection can be read from outside.
 *
 * usage: idle_hold HOST PORT PATH CONNECTIONS HOLD_SECONDS
 * Prints "READY ok=N failed=N" once every connection has its response (or has failed), then holds them
 * for HOLD_SECONDS (or until it is killed) and exits, which closes every connection.
 * Only numeric loopback addresses are accepted. Needs CONNECTIONS + a few file descriptors.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 256

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s HOST PORT PATH CONNECTIONS HOLD_SECONDS\n", argv[0]);
        return 2;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t) atoi(argv[2]))};
    if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1 || (ntohl(addr.sin_addr.s_addr) >> 24) != 127) {
        fprintf(stderr, "idle_hold: only numeric loopback addresses (127.x.x.x) are accepted\n");
        return 2;
    }
    int wanted = atoi(argv[4]);
    double hold = atof(argv[5]);
    struct rlimit files;
    getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
    if (wanted < 1 || (rlim_t) wanted + 16 > files.rlim_cur) {
        fprintf(stderr, "idle_hold: CONNECTIONS must be 1..%llu (open-files limit)\n",
                (unsigned long long) files.rlim_cur - 16);
        return 2;
    }
    char request[1024];
    int request_len = snprintf(request, sizeof request, "GET %s HTTP/1.1\r\nHost: %s:%s\r\n\r\n", argv[3], argv[1], argv[2]);
    int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    int ok = 0, failed = 0, pending = 0;
    double deadline = now_seconds() + 60;
    char buffer[65536];
    struct epoll_event events[BATCH];
    /* Connect in batches and collect answers as they come, so the server's accept backlog never overflows. */
    for (int opened = 0; opened < wanted || pending > 0;) {
        while (opened < wanted && pending < BATCH) {
            opened++;
            int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (fd < 0 || connect(fd, (struct sockaddr *) &addr, sizeof addr) != 0
                || send(fd, request, (size_t) request_len, MSG_NOSIGNAL) != request_len) {
                if (fd >= 0) close(fd);
                failed++;
                continue;
            }
            struct epoll_event event = {.events = EPOLLIN, .data.fd = fd};
            epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &event);
            pending++;
        }
        if (now_seconds() > deadline) {
            failed += pending + (wanted - opened);
            break;
        }
        int ready = epoll_wait(epoll_fd, events, BATCH, 1000);
        for (int i = 0; i < ready; i++) {
            int fd = events[i].data.fd;
            ssize_t n = recv(fd, buffer, sizeof buffer, 0);
            epoll_ctl(epoll_fd, EPOLL_CTL_DEL, fd, NULL);
            pending--;
            if (n >= 12 && strncmp(buffer, "HTTP/1.1 200", 12) == 0) {
                ok++;
            } else {
                failed++;
                close(fd);
            }
        }
    }
    printf("READY ok=%d failed=%d\n", ok, failed);
    fflush(stdout);
    double until = now_seconds() + hold;
    while (now_seconds() < until) {
        usleep(100000);
    }
    return 0;
}
