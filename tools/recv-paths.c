/* What a receive path without copies costs in CPU, by three ways of
 * reading the same stream from a loopback TCP socket:
 *   readv    a non-blocking socket, poll when it is empty (walpull's way);
 *   uring    each read an io_uring READV, submitted and waited for in
 *            one io_uring_enter;
 *   sqpoll   the same with a kernel thread polling the submission queue
 *            (IORING_SETUP_SQPOLL), entering only to wait for a read
 *            that has not completed.
 * A child process sends GIB GiB shaped as walsender's COPY stream:
 * CopyData messages of an XLogData header (30 bytes) and a 128 kB
 * payload. The reader takes each header into a small buffer and each
 * payload straight to its place in a 16 MB aligned buffer (as walpull's
 * staging buffer), reading the next header along with a payload's end.
 * Prints wall time, the reader's CPU per GiB (its io_uring threads
 * included) and kernel entries per GiB.
 *
 *   cc -O2 -o /tmp/recv-paths tools/recv-paths.c
 *   /tmp/recv-paths readv 4; /tmp/recv-paths uring 4; /tmp/recv-paths sqpoll 4
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-clock.h"

#define HDR     30u          /* 'd', length, 'w', three 8-byte fields */
#define PAYLOAD (128u << 10) /* walsender's largest message */
#define RING    (16u << 20)

static void die(const char *what)
{
    perror(what);
    exit(1);
}

/* The sender: messages of HDR + PAYLOAD bytes until total is sent. */
static void send_stream(int fd, uint64_t total)
{
    uint8_t *msg = malloc(HDR + PAYLOAD);
    if (!msg)
        die("malloc");
    memset(msg, 0x5a, HDR + PAYLOAD);
    msg[0] = 'd';
    uint32_t len = htonl(4 + 1 + 24 + PAYLOAD);
    memcpy(msg + 1, &len, 4);
    msg[5] = 'w';
    for (uint64_t sent = 0; sent < total; sent += PAYLOAD) {
        size_t off = 0;
        while (off < HDR + PAYLOAD) {
            ssize_t n = send(fd, msg + off, HDR + PAYLOAD - off, MSG_NOSIGNAL);
            if (n < 0)
                die("send");
            off += (size_t)n;
        }
    }
    free(msg);
}

/* One way of reading: fill iov (iovcnt entries), return bytes read,
 * 0 at the end of the stream. */
typedef struct reader reader;
struct reader {
    int fd;
    uint64_t entries; /* kernel entries: read, poll and io_uring_enter calls */
    ssize_t (*read)(reader *r, struct iovec *iov, int iovcnt);
    /* io_uring */
    int ring_fd;
    bool sqpoll;
    unsigned *sq_head, *sq_tail, *sq_mask, *sq_array, *sq_flags;
    unsigned *cq_head, *cq_tail, *cq_mask;
    struct io_uring_sqe *sqes;
    struct io_uring_cqe *cqes;
};

static ssize_t read_readv(reader *r, struct iovec *iov, int iovcnt)
{
    for (;;) {
        r->entries++;
        ssize_t n = readv(r->fd, iov, iovcnt);
        if (n >= 0)
            return n;
        if (errno != EAGAIN && errno != EINTR)
            die("readv");
        struct pollfd p = {.fd = r->fd, .events = POLLIN};
        r->entries++;
        if (poll(&p, 1, -1) < 0 && errno != EINTR)
            die("poll");
    }
}

static int uring_enter(reader *r, unsigned submit, unsigned wait, unsigned flags)
{
    r->entries++;
    return (int)syscall(__NR_io_uring_enter, r->ring_fd, submit, wait, flags, NULL, 0);
}

static ssize_t read_uring(reader *r, struct iovec *iov, int iovcnt)
{
    unsigned tail = *r->sq_tail;
    unsigned idx = tail & *r->sq_mask;
    struct io_uring_sqe *sqe = &r->sqes[idx];
    memset(sqe, 0, sizeof(*sqe));
    sqe->opcode = IORING_OP_READV;
    sqe->fd = r->fd;
    sqe->addr = (uint64_t)(uintptr_t)iov;
    sqe->len = (unsigned)iovcnt;
    r->sq_array[idx] = idx;
    __atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
    if (!r->sqpoll) {
        if (uring_enter(r, 1, 1, IORING_ENTER_GETEVENTS) < 0)
            die("io_uring_enter");
    } else {
        if (__atomic_load_n(r->sq_flags, __ATOMIC_ACQUIRE) & IORING_SQ_NEED_WAKEUP)
            uring_enter(r, 0, 0, IORING_ENTER_SQ_WAKEUP);
        /* A short spin: in a catch-up the socket has data and the poller
         * completes the read at once; else wait in the kernel. */
        for (int spin = 0; __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE) == *r->cq_head; spin++)
            if (spin > 2000 && uring_enter(r, 0, 1, IORING_ENTER_GETEVENTS) < 0 && errno != EINTR)
                die("io_uring_enter");
    }
    unsigned head = *r->cq_head;
    if (__atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE) == head) {
        fprintf(stderr, "no completion\n");
        exit(1);
    }
    int res = r->cqes[head & *r->cq_mask].res;
    __atomic_store_n(r->cq_head, head + 1, __ATOMIC_RELEASE);
    if (res < 0) {
        errno = -res;
        die("io_uring readv");
    }
    return res;
}

static void uring_setup(reader *r, bool sqpoll)
{
    struct io_uring_params p;
    memset(&p, 0, sizeof(p));
    if (sqpoll) {
        p.flags = IORING_SETUP_SQPOLL;
        p.sq_thread_idle = 1000;
    }
    r->ring_fd = (int)syscall(__NR_io_uring_setup, 8, &p);
    if (r->ring_fd < 0)
        die("io_uring_setup");
    r->sqpoll = sqpoll;
    size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    uint8_t *sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->ring_fd,
                       IORING_OFF_SQ_RING);
    uint8_t *cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->ring_fd,
                       IORING_OFF_CQ_RING);
    r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_POPULATE, r->ring_fd, IORING_OFF_SQES);
    if (sq == MAP_FAILED || cq == MAP_FAILED || r->sqes == MAP_FAILED)
        die("mmap");
    r->sq_head = (unsigned *)(sq + p.sq_off.head);
    r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
    r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
    r->sq_array = (unsigned *)(sq + p.sq_off.array);
    r->sq_flags = (unsigned *)(sq + p.sq_off.flags);
    r->cq_head = (unsigned *)(cq + p.cq_off.head);
    r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
    r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
    r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
    r->read = read_uring;
}

/* Read the stream: header, payload into the ring at its offset, next
 * header read along with the payload's end. Returns payload bytes. */
static uint64_t receive(reader *r, uint8_t *ring)
{
    uint8_t hdr[HDR];
    size_t have = 0; /* header bytes in hdr */
    uint64_t pos = 0;
    for (;;) {
        while (have < HDR) {
            struct iovec v = {.iov_base = hdr + have, .iov_len = HDR - have};
            ssize_t n = r->read(r, &v, 1);
            if (n == 0)
                return pos;
            have += (size_t)n;
        }
        if (hdr[0] != 'd' || hdr[5] != 'w') {
            fprintf(stderr, "bad message at %llu\n", (unsigned long long)pos);
            exit(1);
        }
        size_t left = PAYLOAD;
        have = 0;
        while (left > 0) {
            uint8_t *dst = ring + (pos % RING);
            struct iovec v[2] = {{.iov_base = dst, .iov_len = left},
                                 {.iov_base = hdr, .iov_len = HDR}};
            ssize_t n = r->read(r, v, 2);
            if (n == 0) {
                fprintf(stderr, "cut inside a payload\n");
                exit(1);
            }
            if ((size_t)n > left) {
                have = (size_t)n - left;
                n = (ssize_t)left;
            }
            left -= (size_t)n;
            pos += (uint64_t)n;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 3 ||
        (strcmp(argv[1], "readv") && strcmp(argv[1], "uring") && strcmp(argv[1], "sqpoll"))) {
        fprintf(stderr, "usage: %s readv|uring|sqpoll GIB\n", argv[0]);
        return 2;
    }
    uint64_t total = (uint64_t)atoi(argv[2]) << 30;
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 1) < 0 ||
        getsockname(lfd, (struct sockaddr *)&a, &alen) < 0)
        die("listen");
    pid_t child = fork();
    if (child < 0)
        die("fork");
    if (child == 0) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a)) < 0)
            die("connect");
        send_stream(s, total);
        close(s);
        _exit(0);
    }
    reader r = {.read = read_readv};
    r.fd = accept4(lfd, NULL, NULL, strcmp(argv[1], "readv") == 0 ? SOCK_NONBLOCK : 0);
    if (r.fd < 0)
        die("accept");
    if (strcmp(argv[1], "readv") != 0)
        uring_setup(&r, strcmp(argv[1], "sqpoll") == 0);
    void *ring = NULL;
    if (posix_memalign(&ring, 4096, RING) != 0)
        die("posix_memalign");
    memset(ring, 0, RING);
    double t0 = now(), c0 = cpu_seconds();
    uint64_t got = receive(&r, ring);
    double wall = now() - t0, cpu = cpu_seconds() - c0;
    int status = 0;
    waitpid(child, &status, 0);
    if (got != total) {
        fprintf(stderr, "received %llu of %llu bytes\n", (unsigned long long)got,
                (unsigned long long)total);
        return 1;
    }
    double gib = (double)total / (double)(1u << 30);
    printf("%s: %.0f MiB/s, CPU %.3f s/GiB, %.0f kernel entries/GiB\n", argv[1],
           (double)total / wall / 1048576.0, cpu / gib, (double)r.entries / gib);
    return 0;
}
