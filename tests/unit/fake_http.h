/* fake_http.h: a scripted HTTP/1.1 server on 127.0.0.1 for the OAuth2 token endpoint,
 * included by test_oauth2.c and test_imap.c. fake_http_start() listens, forks a child
 * that serves one connection per answer in answers[] (NULL-terminated): it reads the
 * request (headers, then Content-Length bytes of body), appends the body and a newline
 * to the file `log`, and writes the answer, a whole response ("HTTP/1.1 200 OK\r\n..."),
 * then closes. fake_http_end() waits for the child: 0 when every answer was given.
 * fake_http_response() builds a response around a JSON body, for the caller to free(). */
#ifndef ILN_FAKE_HTTP_H
#define ILN_FAKE_HTTP_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

struct fake_http {
	int port;
	pid_t pid;
};

/* fake_http_response: "HTTP/1.1 CODE X" with body; into a new malloc()ed string. */
static char *
fake_http_response(int code, const char *body)
{
	size_t n = strlen(body) + 200;
	char *s = malloc(n);

	snprintf(s, n, "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
		 "Connection: close\r\n\r\n%s", code, strlen(body), body);
	return s;
}

static void
fake_http_serve(int lfd, char *const *answers, const char *log)
{
	alarm(20);      /* a test that failed before its last request leaves no orphan */
	for (size_t i = 0; answers[i]; i++) {
		char req[65536];
		size_t n = 0, want = 0;
		char *end = NULL, *cl;
		struct pollfd p;
		int fd = accept(lfd, NULL, NULL);
		FILE *f;

		if (fd < 0)
			_exit(2);
		p.fd = fd;
		p.events = POLLIN;
		while (n + 1 < sizeof(req)) {
			ssize_t r;

			if (poll(&p, 1, 5000) <= 0)
				_exit(3);
			if ((r = read(fd, req + n, sizeof(req) - 1 - n)) <= 0)
				_exit(4);
			n += (size_t)r;
			req[n] = '\0';
			if (end == NULL && (end = strstr(req, "\r\n\r\n")) != NULL) {
				cl = strcasestr(req, "Content-Length:");
				want = (size_t)(end + 4 - req) + (cl ? strtoul(cl + 15, NULL, 10) : 0);
			}
			if (end && n >= want)
				break;
		}
		if ((f = fopen(log, "a")) != NULL) {
			fprintf(f, "%s\n", end ? end + 4 : "");
			fclose(f);
		}
		if (write(fd, answers[i], strlen(answers[i])) < 0)
			_exit(5);
		shutdown(fd, SHUT_WR);
		while (read(fd, req, sizeof(req)) > 0)
			;
		close(fd);
	}
	_exit(0);
}

static void
fake_http_start(struct fake_http *fh, char *const *answers, const char *log)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &len) < 0)
		abort();
	fh->port = ntohs(sa.sin_port);
	fflush(NULL);
	if ((fh->pid = fork()) == 0)
		fake_http_serve(lfd, answers, log);
	close(lfd);
}

static int
fake_http_end(struct fake_http *fh)
{
	int st = 0;

	if (waitpid(fh->pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100;
}

#endif
