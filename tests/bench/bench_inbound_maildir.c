/* bench_inbound_maildir.c: the disk's own limit for the bot's Maildir work. It reads
 * every file of SRC into memory (untimed), then delivers each one into the Maildir DST
 * by the maildir(5) protocol, as ilnbot's outbound Maildir does: write to tmp/, fsync,
 * rename into new/, fsync new/. Prints "files N seconds S rate R" on standard output.
 * Usage: bench_inbound_maildir SRC DST. Everything read is freed before exit. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_FILES 1000000
#define MAX_SIZE  (16 * 1024 * 1024)

struct file {
	char *name;
	char *data;
	size_t len;
};

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct file *)a)->name, ((const struct file *)b)->name);
}

static int
read_all(const char *path, struct file *f)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;
	size_t off = 0;

	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) < 0 || sb.st_size > MAX_SIZE)
		goto out;
	f->len = (size_t)sb.st_size;
	if ((f->data = malloc(f->len ? f->len : 1)) == NULL)
		goto out;
	while (off < f->len) {
		ssize_t n = read(fd, f->data + off, f->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		off += (size_t)n;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

static int
deliver(const char *dst, int dirfd, const struct file *f)
{
	char tmp[4096], new[4096];
	size_t off = 0;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s/tmp/%s", dst, f->name);
	snprintf(new, sizeof(new), "%s/new/%s", dst, f->name);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
		return -1;
	while (off < f->len) {
		ssize_t w = write(fd, f->data + off, f->len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0)
		return -1;
	if (rename(tmp, new) < 0)
		return -1;
	return fsync(dirfd);
}

int
main(int argc, char **argv)
{
	struct file *files = NULL;
	struct timespec t0, t1;
	struct dirent *e;
	DIR *d = NULL;
	char path[4096];
	size_t n = 0, cap = 0;
	int dirfd = -1, rc = 1;
	double secs;

	if (argc != 3) {
		fprintf(stderr, "usage: bench_inbound_maildir SRC DST\n");
		return 2;
	}
	if ((d = opendir(argv[1])) == NULL) {
		perror(argv[1]);
		return 1;
	}
	while ((e = readdir(d)) != NULL && n < MAX_FILES) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			struct file *nf;

			cap = cap ? cap * 2 : 1024;
			if ((nf = realloc(files, cap * sizeof(*files))) == NULL)
				goto out;
			files = nf;
		}
		memset(&files[n], 0, sizeof(files[n]));
		if ((files[n].name = strdup(e->d_name)) == NULL)
			goto out;
		snprintf(path, sizeof(path), "%s/%s", argv[1], e->d_name);
		n++;
		if (read_all(path, &files[n - 1]) < 0) {
			perror(path);
			goto out;
		}
	}
	qsort(files, n, sizeof(*files), name_cmp);
	snprintf(path, sizeof(path), "%s/tmp", argv[2]);
	mkdir(argv[2], 0755);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/cur", argv[2]);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/new", argv[2]);
	mkdir(path, 0755);
	if ((dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		perror(path);
		goto out;
	}
	sync();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < n; i++) {
		if (deliver(argv[2], dirfd, &files[i]) < 0) {
			fprintf(stderr, "%s: %s\n", files[i].name, strerror(errno));
			goto out;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("files %zu seconds %.3f rate %.1f\n", n, secs, secs > 0 ? (double)n / secs : 0.0);
	rc = 0;
out:
	if (dirfd >= 0)
		close(dirfd);
	if (d)
		closedir(d);
	for (size_t i = 0; i < n; i++) {
		free(files[i].name);
		free(files[i].data);
	}
	free(files);
	return rc;
}
