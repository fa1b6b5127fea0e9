/* secret.c: password files. The secret is returned in a new buffer the caller frees with
 * secret_free(), which wipes it; nothing here ever logs the contents. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"
#include "util.h"

int
secret_file_read(const char *path, char **out, char *err, size_t errsz)
{
	return secret_file_read_cap(path, SECRET_MAX_SIZE, out, err, errsz);
}

int
secret_file_read_cap(const char *path, size_t cap, char **out, char *err, size_t errsz)
{
	size_t tmpsz = cap + 2;
	char *tmp = xmalloc(tmpsz);
	struct stat sb;
	size_t len = 0;
	ssize_t n;
	int fd = -1, rc = -1;

	*out = NULL;
	if (path == NULL || *path == '\0') {
		snprintf(err, errsz, "no password file configured");
		goto out;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &sb) == -1) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errsz, "%s: not a regular file", path);
		goto out;
	}
	if (sb.st_mode & (S_IRGRP | S_IROTH)) {
		snprintf(err, errsz, "%s: readable by group or others (mode %03o); chmod 600 it",
		    path, (unsigned)(sb.st_mode & 0777));
		goto out;
	}
	while (len < tmpsz) {
		n = read(fd, tmp + len, tmpsz - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errsz, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > cap) {
		snprintf(err, errsz, "%s: longer than %zu bytes", path, cap);
		goto out;
	}
	if (len > 0 && tmp[len - 1] == '\n')
		len--;
	if (len > 0 && tmp[len - 1] == '\r')
		len--;
	if (len == 0) {
		snprintf(err, errsz, "%s: empty", path);
		goto out;
	}
	if (memchr(tmp, '\0', len) || memchr(tmp, '\n', len) || memchr(tmp, '\r', len)) {
		snprintf(err, errsz, "%s: holds a NUL or a line break inside the secret", path);
		goto out;
	}
	*out = xstrndup(tmp, len);
	rc = 0;
out:
	explicit_bzero(tmp, tmpsz);
	free(tmp);
	if (fd != -1)
		close(fd);
	return rc;
}

void
secret_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}
