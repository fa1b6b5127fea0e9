/* net.c: dialling with a timeout (getaddrinfo, a non-blocking connect bounded by poll,
 * then a blocking socket with read and write timeouts), deadlines for poll(), and the
 * loopback rule (see net.h). Used by inbound_imap.c, which dials itself, and by
 * outbound_smtp.c, whose connections libcurl dials. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "net.h"

bool
net_addr_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
	return false;
}

bool
net_host_loopback(const char *host)
{
	struct addrinfo hints, *res = NULL, *ai;
	bool ok = true;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return false;
	for (ai = res; ai; ai = ai->ai_next)
		if (!net_addr_loopback(ai->ai_addr))
			ok = false;
	freeaddrinfo(res);
	return ok;
}

/* net_connect: connect the non-blocking fd to ai within timeout seconds. 0, or -1 with
 * err set. */
static int
net_connect(int fd, const struct addrinfo *ai, const char *host, int port, int timeout,
    char *err, size_t errsz)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	socklen_t sl;
	int r, soerr = 0;

	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return 0;
	if (errno != EINPROGRESS) {
		snprintf(err, errsz, "%s:%d: %s", host, port, strerror(errno));
		return -1;
	}
	r = poll(&pfd, 1, timeout * 1000);
	if (r == 0) {
		snprintf(err, errsz, "%s:%d: connect timed out", host, port);
		return -1;
	}
	if (r < 0)
		return -1;
	sl = sizeof(soerr);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1 || soerr) {
		snprintf(err, errsz, "%s:%d: %s", host, port, strerror(soerr));
		return -1;
	}
	return 0;
}

int
net_dial(const char *host, int port, int timeout, const char *loopback_only,
    char *err, size_t errsz)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct timeval tv = { .tv_sec = timeout };
	char portstr[16];
	int fd = -1, r;

	snprintf(portstr, sizeof(portstr), "%d", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(host, portstr, &hints, &res)) != 0) {
		snprintf(err, errsz, "%s: %s", host, gai_strerror(r));
		return -1;
	}
	snprintf(err, errsz, "%s: no usable address", host);
	for (ai = res; ai; ai = ai->ai_next) {
		if (loopback_only && !net_addr_loopback(ai->ai_addr)) {
			snprintf(err, errsz, "%s: %s is only allowed to a loopback address", host,
			    loopback_only);
			continue;
		}
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    ai->ai_protocol);
		if (fd == -1)
			continue;
		if (net_connect(fd, ai, host, port, timeout, err, errsz) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd != -1) {
		/* Callers (libetpan's TLS handshake) want a blocking descriptor; the socket
		 * timeouts bound every read and write on it. */
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	}
	return fd;
}

void
net_deadline(struct timespec *d, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, d);
	d->tv_sec += ms / 1000;
	d->tv_nsec += (ms % 1000) * 1000000L;
	if (d->tv_nsec >= 1000000000L) {
		d->tv_sec++;
		d->tv_nsec -= 1000000000L;
	}
}

int
net_ms_left(const struct timespec *d)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(d->tv_sec - now.tv_sec) * 1000 + (d->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms > INT_MAX ? INT_MAX : (int)ms;
}

int
net_wait(int fd, short events, const struct timespec *deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int ms = net_ms_left(deadline);

	if (ms == 0)
		return -1;
	return poll(&p, 1, ms) > 0 ? 0 : -1;
}
