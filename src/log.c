/* log.c: leveled logging to stderr ("ilnbot: level: message"), for journald or a terminal.
 * When stderr is the journal's stream (systemd sets JOURNAL_STREAM to its "device:inode"),
 * each line starts with its syslog priority, "<3>" error to "<7>" debug, which journald
 * takes off and stores, so that `journalctl -p err` finds the errors. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static enum log_level min_level = LOG_LEVEL_INFO;
static int journal = -1;        /* stderr is the journal: -1 not yet known, 0 no, 1 yes */

/* log_journal: JOURNAL_STREAM names the device and inode of stderr. */
static bool
log_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat sb;
	char end;

	if (env == NULL || sscanf(env, "%llu:%llu%c", &dev, &ino, &end) != 2)
		return false;
	if (fstat(STDERR_FILENO, &sb) < 0)
		return false;
	return (unsigned long long)sb.st_dev == dev && (unsigned long long)sb.st_ino == ino;
}

bool
log_to_journal(void)
{
	if (journal < 0)
		journal = log_journal();
	return journal == 1;
}

void
log_set_level(enum log_level level)
{
	min_level = level;
}

static void log_emit(enum log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void
log_emit(enum log_level level, const char *fmt, va_list ap)
{
	static const char *names[] = { "debug", "info", "warning", "error" };
	static const char *prio[] = { "<7>", "<6>", "<4>", "<3>" };

	char line[4096];
	int n, m;

	if (level < min_level)
		return;
	/* One write per line: stderr is unbuffered, and journald or a pipe then sees whole
	 * lines even from several processes. */
	n = snprintf(line, sizeof(line), "%silnbot: %s: ", log_to_journal() ? prio[level] : "",
		     names[level]);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	if (m < 0)
		m = 0;
	if ((size_t)(n + m) > sizeof(line) - 2)
		m = (int)sizeof(line) - 2 - n;
	while (m > 0 && line[n + m - 1] == '\n')      /* one line end, ours */
		m--;
	line[n + m] = '\n';
	fflush(stderr);
	if (log_to_journal() && memchr(line, '\n', (size_t)(n + m)) != NULL) {
		/* A message of several lines: each line its own priority for the journal. */
		char out[sizeof(line) * 4];
		size_t o = 0;

		for (int i = 0; i <= n + m && o + 4 < sizeof(out); i++) {
			out[o++] = line[i];
			if (line[i] == '\n' && i < n + m) {
				memcpy(out + o, prio[level], 3);
				o += 3;
			}
		}
		if (write(STDERR_FILENO, out, o) < 0)
			return;
		return;
	}
	if (write(STDERR_FILENO, line, (size_t)(n + m + 1)) < 0)
		return;
}

#define LOG_FN(name, level)                     \
	void name(const char *fmt, ...)         \
	{                                       \
		va_list ap;                     \
		va_start(ap, fmt);              \
		log_emit(level, fmt, ap);       \
		va_end(ap);                     \
	}

LOG_FN(log_debug, LOG_LEVEL_DEBUG)
LOG_FN(log_info, LOG_LEVEL_INFO)
LOG_FN(log_warnx, LOG_LEVEL_WARN)
LOG_FN(log_errorx, LOG_LEVEL_ERROR)

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_emit(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}
