/* net.h: what the network transports share: dialling with a timeout, deadlines for
 * poll(), and the loopback rule: plaintext goes only to a loopback address (127.0.0.0/8
 * or ::1), so that no password or mail crosses a network unencrypted. Nothing here
 * allocates anything the caller must free; a dialled descriptor is the caller's. */
#ifndef ILN_NET_H
#define ILN_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

/* net_addr_loopback: the loopback rule, for one address. */
bool net_addr_loopback(const struct sockaddr *sa);
/* net_host_loopback: host resolves, and every address it resolves to is loopback. */
bool net_host_loopback(const char *host);

/* net_dial: a blocking TCP socket connected to host:port within timeout seconds, its
 * reads and writes bounded by the same timeout, close-on-exec. The addresses are tried
 * in getaddrinfo's order. loopback_only NULL: any address; else only loopback ones are
 * tried, and when none is, err says that the setting it names (e.g. "imap_tls = none")
 * needs one. Returns the descriptor, or -1 with err set. */
int net_dial(const char *host, int port, int timeout, const char *loopback_only,
    char *err, size_t errsz);

/* net_deadline: *d becomes ms milliseconds from now (CLOCK_MONOTONIC). */
void net_deadline(struct timespec *d, long ms);
/* net_ms_left: milliseconds until d, 0 when it has passed. */
int net_ms_left(const struct timespec *d);
/* net_wait: until fd is ready for events (POLLIN, POLLOUT) before the deadline: 0, or
 * -1 when the deadline passed first (or poll failed). */
int net_wait(int fd, short events, const struct timespec *deadline);

#endif
