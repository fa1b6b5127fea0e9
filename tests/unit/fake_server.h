/* fake_server.h: a scripted line-protocol server for transport tests (IMAP, SMTP),
 * included by test_imap.c and test_smtp.c. fake_start() listens on 127.0.0.1, forks a
 * child that accepts one connection and plays the script: for each step it reads one
 * client line and checks that it contains `expect` (case-insensitive, the line's double
 * quotes ignored), then writes
 * `reply` in ONE write(), with "%T" replaced by the line's first word (the IMAP tag).
 * expect NULL: reply without reading. expect "<DATA>": read lines up to ".".
 * expect "<EOF>": the client must hang up now. reply "<HANG>": say nothing until EOF.
 * reply "<REACCEPT>": hang up, wait for the client's next connection and go on there.
 * The child exits 0 when the script ran through (then it reads until EOF, answering
 * only QUIT, RSET and LOGOUT); fake_end()
 * returns that status. Nothing here is freed by the caller. */
#ifndef ILN_FAKE_SERVER_H
#define ILN_FAKE_SERVER_H

#include <arpa/inet.h>
#include <errno.h>
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

struct fake_step {
	const char *expect;
	const char *reply;
	int delay_ms;           /* before replying */
};

struct fake_server {
	int lfd;
	int port;
	pid_t pid;
};

/* fake_readline: one line (CRLF or LF ended) into buf; 1, 0 on EOF, -1 on timeout. */
static int
fake_readline(int fd, char *buf, size_t bufsz)
{
	size_t n = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char ch;
	ssize_t r;

	while (n + 1 < bufsz) {
		if (poll(&p, 1, 5000) <= 0)
			return -1;
		r = read(fd, &ch, 1);
		if (r <= 0)
			return n > 0 ? 1 : 0;
		buf[n++] = ch;
		if (ch == '\n')
			break;
	}
	buf[n] = '\0';
	return 1;
}

static void
fake_write(int fd, const char *reply, const char *line)
{
	char out[65536], tag[64] = "*";
	size_t n = 0, tl;
	const char *p;

	static char last_tag[64] = "*";

	if (line && sscanf(line, "%63s", tag) != 1)
		strcpy(tag, "*");
	/* IMAP IDLE ends with a bare DONE, answered under the IDLE command's tag. */
	if (strcasecmp(tag, "DONE") == 0)
		strcpy(tag, last_tag);
	else if (line)
		strcpy(last_tag, tag);
	tl = strlen(tag);
	for (p = reply; *p && n + tl + 1 < sizeof(out); p++) {
		if (p[0] == '%' && p[1] == 'T') {
			memcpy(out + n, tag, tl);
			n += tl;
			p++;
		} else
			out[n++] = *p;
	}
	if (write(fd, out, n) != (ssize_t)n)
		_exit(90);
}

/* fake_match: line contains expect, double quotes in the line ignored. */
static int
fake_match(const char *line, const char *expect)
{
	char bare[65536];
	size_t n = 0;

	for (; *line && n + 1 < sizeof(bare); line++)
		if (*line != '"')
			bare[n++] = *line;
	bare[n] = '\0';
	return strcasestr(bare, expect) != NULL;
}

static void
fake_child(int lfd, const struct fake_step *steps)
{
	char line[65536];
	int fd, i, r;
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	if (poll(&p, 1, 10000) <= 0)
		_exit(80);
	if ((fd = accept(lfd, NULL, NULL)) == -1)
		_exit(81);
	for (i = 0; steps[i].expect || steps[i].reply; i++) {
		const struct fake_step *s = &steps[i];

		line[0] = '\0';
		if (s->expect && strcmp(s->expect, "<EOF>") == 0) {
			r = fake_readline(fd, line, sizeof(line));
			if (r != 0) {
				fprintf(stderr, "fake server: step %d wanted EOF, got %s", i,
				    r < 0 ? "a timeout\n" : line);
				_exit(20 + i);
			}
			_exit(0);
		} else if (s->expect && strcmp(s->expect, "<DATA>") == 0) {
			do {
				if (fake_readline(fd, line, sizeof(line)) != 1)
					_exit(20 + i);
			} while (strcmp(line, ".\r\n") != 0);
		} else if (s->expect) {
			if (fake_readline(fd, line, sizeof(line)) != 1) {
				fprintf(stderr, "fake server: step %d: no line (wanted %s)\n", i, s->expect);
				_exit(20 + i);
			}
			if (!fake_match(line, s->expect)) {
				fprintf(stderr, "fake server: step %d wanted \"%s\", got %s", i, s->expect, line);
				_exit(20 + i);
			}
		}
		if (s->delay_ms)
			poll(NULL, 0, s->delay_ms);
		if (s->reply && strcmp(s->reply, "<REACCEPT>") == 0) {
			close(fd);
			if (poll(&p, 1, 10000) <= 0 || (fd = accept(lfd, NULL, NULL)) == -1)
				_exit(82);
			continue;
		}
		if (s->reply && strcmp(s->reply, "<HANG>") == 0) {
			while (fake_readline(fd, line, sizeof(line)) == 1)
				;
			_exit(0);
		}
		if (s->reply)
			fake_write(fd, s->reply, s->expect ? line : NULL);
	}
	/* Past the script: answer only the goodbyes, so clients need not time out. */
	while (fake_readline(fd, line, sizeof(line)) == 1) {
		if (strncasecmp(line, "QUIT", 4) == 0)
			fake_write(fd, "221 bye\r\n", NULL);
		else if (strncasecmp(line, "RSET", 4) == 0)
			fake_write(fd, "250 reset\r\n", NULL);
		else if (strcasestr(line, " LOGOUT"))
			fake_write(fd, "* BYE\r\n%T OK done\r\n", line);
	}
	_exit(0);
}

static void
fake_start(struct fake_server *fs, const struct fake_step *steps)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fs->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fs->lfd == -1 || bind(fs->lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fs->lfd, 4) == -1 || getsockname(fs->lfd, (struct sockaddr *)&sin, &sl) == -1)
		abort();
	fs->port = ntohs(sin.sin_port);
	fs->pid = -1;
	if (steps == NULL)
		return;
	fflush(NULL);
	if ((fs->pid = fork()) == -1)
		abort();
	if (fs->pid == 0)
		fake_child(fs->lfd, steps);
}

/* fake_end: the child's exit status (0 = script played through), or for a server
 * started without a script, 0 when nobody ever connected. */
static int
fake_end(struct fake_server *fs)
{
	int status = 0, rc;

	if (fs->pid == -1) {
		struct pollfd p = { .fd = fs->lfd, .events = POLLIN };

		rc = poll(&p, 1, 0) == 0 ? 0 : 1;
		close(fs->lfd);
		return rc;
	}
	close(fs->lfd);
	if (waitpid(fs->pid, &status, 0) == -1)
		return -1;
	if (WIFSIGNALED(status))
		return 100 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

#endif
