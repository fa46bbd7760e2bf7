/* Host BSP: the "UART" is a file descriptor pair chosen by the EK_SERIAL environment
 * variable, so the same firmware and the same host-side client work natively:
 *   unset or "stdio"  read stdin, write stdout
 *   "fd:N"            read and write fd N (a pty or socketpair the parent passed down)
 *   "tcp:PORT"        listen on 127.0.0.1:PORT (0 picks a free port) and serve one client,
 *                     like QEMU's `-serial tcp:...,server=on,wait=on`; the port is
 *                     announced on stderr as "ek-serial: tcp 127.0.0.1:PORT".
 * Ticks are CLOCK_MONOTONIC microseconds (EK_BSP_TICK_HZ is 1000000). */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ek_bsp.h"

#define EK_HOST_EXIT_SERIAL 3 /* the serial endpoint could not be set up or broke */

static int ek_in_fd = 0;
static int ek_out_fd = 1;
static uint8_t ek_out_buf[4096];
static size_t ek_out_len;

static void ek_host_fail(const char *what)
{
    fprintf(stderr, "ek-serial: %s: %s\n", what, strerror(errno));
    exit(EK_HOST_EXIT_SERIAL);
}

static int ek_host_listen_tcp(const char *port_text)
{
    const long port = strtol(port_text, NULL, 10);
    if (port < 0 || port > 65535) {
        errno = EINVAL;
        ek_host_fail("bad tcp port");
    }
    const int server = socket(AF_INET, SOCK_STREAM, 0);
    if (server < 0) {
        ek_host_fail("socket");
    }
    const int one = 1;
    setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(server, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(server, 1) != 0) {
        ek_host_fail("bind/listen");
    }
    socklen_t len = sizeof addr;
    if (getsockname(server, (struct sockaddr *)&addr, &len) != 0) {
        ek_host_fail("getsockname");
    }
    fprintf(stderr, "ek-serial: tcp 127.0.0.1:%u\n", (unsigned)ntohs(addr.sin_port));
    fflush(stderr);
    const int client = accept(server, NULL, NULL);
    if (client < 0) {
        ek_host_fail("accept");
    }
    close(server);
    return client;
}

void ek_bsp_init(void)
{
    /* A vanished reader must end the process with an error, not kill it silently. */
    signal(SIGPIPE, SIG_IGN);
    const char *spec = getenv("EK_SERIAL");
    if (spec == NULL || spec[0] == '\0' || strcmp(spec, "stdio") == 0) {
        return;
    }
    if (strncmp(spec, "fd:", 3) == 0) {
        ek_in_fd = ek_out_fd = (int)strtol(spec + 3, NULL, 10);
    } else if (strncmp(spec, "tcp:", 4) == 0) {
        ek_in_fd = ek_out_fd = ek_host_listen_tcp(spec + 4);
    } else {
        errno = EINVAL;
        ek_host_fail("EK_SERIAL must be stdio, fd:N or tcp:PORT");
    }
}

void ek_bsp_flush(void)
{
    size_t done = 0;
    while (done < ek_out_len) {
        const ssize_t n = write(ek_out_fd, ek_out_buf + done, ek_out_len - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            ek_host_fail("write");
        }
        done += (size_t)n;
    }
    ek_out_len = 0;
}

void ek_bsp_putc(uint8_t c)
{
    if (ek_out_len == sizeof ek_out_buf) {
        ek_bsp_flush();
    }
    ek_out_buf[ek_out_len++] = c;
}

uint32_t ek_bsp_ticks(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)((uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u);
}

int ek_bsp_getc(uint32_t timeout_ticks)
{
    /* Whatever was written is an answer the peer is waiting for. */
    ek_bsp_flush();
    const uint32_t start = ek_bsp_ticks();
    for (;;) {
        int wait_ms = -1;
        if (timeout_ticks != EK_BSP_WAIT_FOREVER) {
            const uint32_t spent = ek_bsp_ticks() - start;
            if (spent >= timeout_ticks) {
                wait_ms = 0;
            } else {
                wait_ms = (int)((timeout_ticks - spent + 999u) / 1000u);
            }
        }
        struct pollfd pfd = {ek_in_fd, POLLIN, 0};
        const int ready = poll(&pfd, 1, wait_ms);
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready < 0) {
            ek_host_fail("poll");
        }
        if (ready == 0) {
            if (wait_ms == 0) {
                return -1;
            }
            continue; /* woke early: recompute what is left */
        }
        uint8_t c;
        const ssize_t n = read(ek_in_fd, &c, 1);
        if (n == 1) {
            return c;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        /* End of input: no byte can ever arrive, so stop instead of spinning. */
        exit(n == 0 ? 0 : EK_HOST_EXIT_SERIAL);
    }
}

void ek_bsp_exit(int code)
{
    ek_bsp_flush();
    exit(code);
}
