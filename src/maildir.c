/* maildir.c: Maildir layout and the delivery protocol of maildir(5): a unique name,
 * written and fsynced in tmp/, renamed into new/, the folder fsynced. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "maildir.h"
#include "util.h"

static int
mkdir_p(const char *path)
{
	char *p = xstrdup(path);
	int rc = 0;

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	if (rc == 0 && mkdir(p, 0755) < 0 && errno != EEXIST)
		rc = -1;
	free(p);
	return rc;
}

int
maildir_make(const char *dir)
{
	static const char *const subs[] = { "tmp", "new", "cur" };

	if (mkdir_p(dir) < 0)
		return -1;
	for (size_t i = 0; i < 3; i++) {
		char *s = xasprintf("%s/%s", dir, subs[i]);
		int rc = mkdir(s, 0755);

		free(s);
		if (rc < 0 && errno != EEXIST)
			return -1;
	}
	return 0;
}

static int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int
maildir_sync(const char *dir)
{
	char *newdir = xasprintf("%s/new", dir);
	int rc = fsync_dir(newdir);

	free(newdir);
	return rc;
}

static bool
maildir_has(const char *dir, const char *name)
{
	char *a = xasprintf("%s/new/%s", dir, name), *b = xasprintf("%s/cur/%s", dir, name);
	bool has = access(a, F_OK) == 0 || access(b, F_OK) == 0;

	free(a);
	free(b);
	return has;
}

int
maildir_deliver(const char *dir, const char *given, const char *data, size_t len)
{
	static unsigned long counter;
	struct timespec ts;
	char *tok = NULL, *name, *tmp = NULL, *new = NULL;
	char host[64] = "localhost";
	size_t off = 0;
	int fd, rc = -1;

	if (given) {
		if (maildir_has(dir, given))
			return 0;
		name = xstrdup(given);
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		gethostname(host, sizeof(host) - 1);
		for (char *h = host; *h; h++)
			if (*h == '/' || *h == ':')
				*h = '_';
		tok = random_token(6);
		name = xasprintf("%lld.M%ldP%dQ%lu_%s.%s", (long long)ts.tv_sec,
				 ts.tv_nsec / 1000, (int)getpid(), ++counter, tok, host);
	}
	tmp = xasprintf("%s/tmp/%s", dir, name);
	new = xasprintf("%s/new/%s", dir, name);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		goto out;
	while (off < len) {
		ssize_t w = write(fd, data + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			unlink(tmp);
			goto out;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		unlink(tmp);
		goto out;
	}
	if (rename(tmp, new) < 0) {
		unlink(tmp);
		goto out;
	}
	rc = given ? 0 : maildir_sync(dir);
out:
	free(tok);
	free(name);
	free(tmp);
	free(new);
	return rc;
}
