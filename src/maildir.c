/* maildir.c: Maildir layout and the delivery protocol of maildir(5): a unique name,
 * written and fsynced in tmp/, renamed into new/, the folder fsynced; reading a message
 * only when it is a regular file (never a FIFO, device or link), and removing one from
 * cur/ by its name in new/. A buffer read is the caller's to free(). */
#include <dirent.h>
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

int
maildir_read(const char *path, size_t cap, char **out, size_t *outlen)
{
	struct stat sb;
	int fd, rc, flags;

	*out = NULL;
	*outlen = 0;
	if (lstat(path, &sb) < 0)
		return -1;
	if (!S_ISREG(sb.st_mode))
		return -3;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
		return errno == ELOOP || errno == ENXIO ? -3 : -1;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		rc = S_ISREG(sb.st_mode) ? -1 : -3;
		goto out;
	}
	/* a regular file never blocks; reads go on as usual */
	if ((flags = fcntl(fd, F_GETFL)) >= 0)
		(void)fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	rc = fd_read(fd, cap, out, outlen);
out:
	close(fd);
	return rc;
}

int
maildir_unlink_cur(const char *dir, const char *name)
{
	char *path = xasprintf("%s/cur", dir);
	size_t nlen = strlen(name);
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (d == NULL) {
		free(path);
		return errno == ENOENT ? 0 : -1;
	}
	while ((e = readdir(d)) != NULL) {
		char *f;

		/* the name itself, or the name followed by maildir(5)'s ":2," info */
		if (strncmp(e->d_name, name, nlen) != 0 ||
		    (e->d_name[nlen] != '\0' && e->d_name[nlen] != ':'))
			continue;
		f = xasprintf("%s/%s", path, e->d_name);
		if (unlink(f) == 0)
			n++;
		else if (errno != ENOENT)
			n = -1;
		free(f);
		if (n < 0)
			break;
	}
	closedir(d);
	free(path);
	return n;
}
