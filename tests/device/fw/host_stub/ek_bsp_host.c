/* Test-only host BSP: stdin/stdout as the serial port. Output is buffered and flushed
 * before every wait for input, so a response leaves in one write. EOF on stdin (the
 * host closed the port) ends the process. */
#define _POSIX_C_SOURCE 200809L
#include "ek_bsp.h"

#include <poll.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static uint8_t out_buf[4096];
static size_t out_len;

static void flush_out(void) {
    size_t done = 0;
    while (done < out_len) {
        ssize_t n = write(1, out_buf + done, out_len - done);
        if (n <= 0) exit(0);
        done += (size_t)n;
    }
    out_len = 0;
}

void ek_bsp_init(void) {}

void ek_bsp_putc(uint8_t c) {
    if (out_len == sizeof out_buf) flush_out();
    out_buf[out_len++] = c;
}

int ek_bsp_getc(uint32_t timeout_ticks) {
    flush_out();
    struct pollfd pfd = {0, POLLIN, 0};
    int ms = (int)(timeout_ticks / 1000u);
    if (poll(&pfd, 1, ms) <= 0) return -1;
    uint8_t c;
    if (read(0, &c, 1) != 1) exit(0);
    return c;
}

uint32_t ek_bsp_ticks(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
}

void ek_bsp_exit(int status) {
    flush_out();
    exit(status);
}
