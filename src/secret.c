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
	char tmp[SECRET_MAX_SIZE + 2];
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
	while (len < sizeof(tmp)) {
		n = read(fd, tmp + len, sizeof(tmp) - len);
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
	if (len > SECRET_MAX_SIZE) {
		snprintf(err, errsz, "%s: longer than %d bytes", path, SECRET_MAX_SIZE);
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
	explicit_bzero(tmp, sizeof(tmp));
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
