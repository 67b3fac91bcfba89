package io.sluice.staticfiles;

/**
 * One stretch of a file response: optional bytes written before it (a multipart boundary and part
 * headers) and a range of an open file, of which the part holds one reference.
 */
record BodyPart(byte[] head, OpenFile file, long position, long length) {
}
