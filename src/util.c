/* util.c: allocation, capped buffers, UTF-8 checks and cleaning, time and tokens (see
 * util.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define BUF_DEFAULT_CAP (64u << 20)

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		fatalx("out of memory");
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		fatalx("out of memory");
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		fatalx("out of memory");
	return q;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		fatalx("out of memory");
	va_end(ap);
	return s;
}

void
buf_init(struct buf *b, size_t cap)
{
	memset(b, 0, sizeof(*b));
	b->cap = cap ? cap : BUF_DEFAULT_CAP;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->size = 0;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->overflow = false;
	if (b->data)
		b->data[0] = '\0';
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (n > b->cap || b->len > b->cap - n) {
		b->overflow = true;
		return -1;
	}
	if (b->len + n + 1 > b->size) {
		size_t size = b->size ? b->size : 64;

		while (size < b->len + n + 1)
			size *= 2;
		b->data = xrealloc(b->data, size);
		b->size = size;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_addc(struct buf *b, char c)
{
	if (b->len + 1 < b->size && b->len < b->cap) {
		b->data[b->len++] = c;
		b->data[b->len] = '\0';
		return 0;
	}
	return buf_add(b, &c, 1);
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n, rc;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("out of memory");
	rc = buf_add(b, s, (size_t)n);
	free(s);
	return rc;
}

char *
buf_steal(struct buf *b)
{
	char *s = b->data ? b->data : xstrdup("");

	b->data = NULL;
	b->len = b->size = 0;
	b->overflow = false;
	return s;
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid (RFC 3629). */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (n >= 2 && (s[1] & 0xc0) == 0x80) ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)
			return 0;
		if (c == 0xed && s[1] > 0x9f)
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)
			return 0;
		if (c == 0xf4 && s[1] > 0x8f)
			return 0;
		return 4;
	}
	return 0;
}

bool
utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		if ((k = utf8_seq(p + i, n - i)) == 0)
			return false;
		i += k;
	}
	return true;
}

size_t
utf8_next(const char *s, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;

	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if (u[0] < 0xe0) {
		*cp = (uint32_t)(u[0] & 0x1f) << 6 | (u[1] & 0x3f);
		return 2;
	}
	if (u[0] < 0xf0) {
		*cp = (uint32_t)(u[0] & 0x0f) << 12 | (uint32_t)(u[1] & 0x3f) << 6 | (u[2] & 0x3f);
		return 3;
	}
	*cp = (uint32_t)(u[0] & 0x07) << 18 | (uint32_t)(u[1] & 0x3f) << 12 |
	      (uint32_t)(u[2] & 0x3f) << 6 | (u[3] & 0x3f);
	return 4;
}

char *
utf8_sanitize(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	struct buf b;
	size_t i = 0, k;

	buf_init(&b, 0);
	while (i < n) {
		size_t j = i;

		/* copy whole valid runs at once */
		while (j < n && (p[j] < 0x80 ? (k = 1) : (k = utf8_seq(p + j, n - j))) != 0)
			j += k;
		buf_add(&b, p + i, j - i);
		if (j < n) {
			buf_adds(&b, "\xef\xbf\xbd");
			j++;
		}
		i = j;
	}
	return buf_steal(&b);
}

/* How utf8_clean_line() treats a character. */
enum utf8_class {
	UTF8_KEEP,
	UTF8_INVALID,   /* a byte of no valid sequence: U+FFFD */
	UTF8_SPACE,     /* space, no-break space, ideographic space: one space */
	UTF8_CONTROL,   /* C0 and C1 controls (NEL among them), DEL, U+2028, U+2029: one space */
	UTF8_FORMAT,    /* zero-width and bidi format characters: dropped */
};

/* The class of the character at s[0..n) and its length in bytes in *k. */
static enum utf8_class
utf8_class_at(const char *s, size_t n, size_t *k)
{
	uint32_t c;

	if ((*k = utf8_seq((const unsigned char *)s, n)) == 0) {
		*k = 1;
		return UTF8_INVALID;
	}
	utf8_next(s, &c);
	if (c == ' ' || c == 0xa0 || c == 0x3000)
		return UTF8_SPACE;
	if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029)
		return UTF8_CONTROL;
	/* ZWNJ U+200C and ZWJ U+200D are spelling (Persian, Indic scripts, emoji): kept */
	if (c == 0x200b || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
	    (c >= 0x2060 && c <= 0x2069) || c == 0xfeff)
		return UTF8_FORMAT;
	return UTF8_KEEP;
}

char *
utf8_clean_line(const char *s, size_t n, size_t max_bytes)
{
	static const char fffd[] = "\xef\xbf\xbd";
	struct buf b;
	size_t i = 0, k, len;
	bool space = false;

	buf_init(&b, 0);
	for (; i < n; i += k) {
		enum utf8_class cl = utf8_class_at(s + i, n - i, &k);

		if (cl == UTF8_SPACE || cl == UTF8_CONTROL) {
			space = b.len > 0;
			continue;
		}
		if (cl == UTF8_FORMAT)
			continue;
		len = cl == UTF8_INVALID ? sizeof(fffd) - 1 : k;
		if (b.len + (space ? 1 : 0) + len > max_bytes)
			break;
		if ((space && buf_addc(&b, ' ') < 0) ||
		    buf_add(&b, cl == UTF8_INVALID ? fffd : s + i, len) < 0)
			break;
		space = false;
	}
	/* only a cap refusal in the middle can leave a space at the end */
	if (b.len > 0 && b.data[b.len - 1] == ' ')
		b.data[--b.len] = '\0';
	return buf_steal(&b);
}

bool
utf8_has_hidden(const char *s, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i += k) {
		enum utf8_class cl = utf8_class_at(s + i, n - i, &k);

		if (cl == UTF8_INVALID || cl == UTF8_CONTROL || cl == UTF8_FORMAT)
			return true;
	}
	return false;
}

size_t
utf8_encode(uint32_t c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xc0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | c >> 12);
		out[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | c >> 18);
	out[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

bool
utf8_is_space(uint32_t c)
{
	return c <= 0x20 || c == 0x7f || (c >= 0x80 && c <= 0xa0) || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200b) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
	       c == 0x205f || c == 0x3000 || c == 0xfeff;
}

uint32_t
utf8_fold_case(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c >= 0xc0 && c <= 0xde && c != 0xd7)
		return c + 32;
	if ((c >= 0x100 && c <= 0x137) || (c >= 0x14a && c <= 0x177))
		return c | 1;
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
		return (c & 1) ? c + 1 : c;
	if (c == 0x178)
		return 0xff;
	if (c >= 0x391 && c <= 0x3a9 && c != 0x3a2)
		return c + 32;
	if (c >= 0x410 && c <= 0x42f)
		return c + 32;
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;
	if (c == 0x2018 || c == 0x2019 || c == 0x2bc || c == 0x60 || c == 0xb4)
		return '\'';
	return c;
}

uint32_t
utf8_fold_accent(uint32_t c)
{
	/* one letter per code point from U+00C0; '.' keeps the code point */
	static const char latin[] =
		"aaaaaaaceeeeiiii" "dnooooo.ouuuuyts"      /* U+00C0 - U+00DF */
		"aaaaaaaceeeeiiii" "dnooooo.ouuuuyty"      /* U+00E0 - U+00FF */
		"aaaaaaccccccccdd" "ddeeeeeeeeeegggg"      /* U+0100 - U+011F */
		"gggghhhhiiiiiiii" "ii..jjkkklllllll"      /* U+0120 - U+013F */
		"lllnnnnnnnnnoooo" "oo..rrrrrrssssss"      /* U+0140 - U+015F */
		"ssttttttuuuuuuuu" "uuuuwwyyyzzzzzzs";     /* U+0160 - U+017F */

	if (c >= 0x300 && c <= 0x36f)
		return 0;
	if (c >= 0xc0 && c <= 0x17f && latin[c - 0xc0] != '.')
		return (uint32_t)latin[c - 0xc0];
	return c;
}

/* what the loop holds for ß until it writes "ss" (not a code point) */
#define UTF8_FOLD_SS 0x110000u

bool
utf8_fold_as(const char *s, size_t n, bool strip_accents, char *out, size_t outsz)
{
	size_t i = 0, o = 0;
	bool space = false;
	uint32_t c;

	if (outsz == 0 || !utf8_valid(s, n))
		return false;
	while (i < n) {
		i += utf8_next(s + i, &c);
		if (utf8_is_space(c)) {
			space = o > 0;
			continue;
		}
		c = utf8_fold_case(c);
		if (strip_accents && c == 0xdf)
			c = UTF8_FOLD_SS;
		else if (strip_accents && (c = utf8_fold_accent(c)) == 0)
			continue;
		if (o + 6 > outsz)
			return false;
		if (space) {
			out[o++] = ' ';
			space = false;
		}
		if (c == UTF8_FOLD_SS) {
			out[o++] = 's';
			c = 's';
		}
		o += utf8_encode(c, out + o);
	}
	out[o] = '\0';
	return true;
}

bool
utf8_fold(const char *s, size_t n, char *out, size_t outsz)
{
	return utf8_fold_as(s, n, true, out, outsz);
}

char *
str_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

void
str_lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

bool
str_has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), after H. Hinnant's civil algorithm. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int
parse_digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if ((*p)[i] < '0' || (*p)[i] > '9')
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

int
time_month_days(int year, int month)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	if (month < 1 || month > 12)
		return 0;
	return mdays[month - 1] + (month == 2 && leap);
}

int
time_parse(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, se = 0, oh = 0, om = 0, sign = 0;

	if (s[0] == '@') {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(s + 1, &end, 10);
		if (errno || end == s + 1 || *end)
			return -1;
		*out = v;
		return 0;
	}
	if (parse_digits(&s, 4, &y) || *s++ != '-' || parse_digits(&s, 2, &mo) ||
	    *s++ != '-' || parse_digits(&s, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > time_month_days(y, mo))
		return -1;
	if (*s == 'T' || *s == 't' || *s == ' ') {
		s++;
		if (parse_digits(&s, 2, &h) || *s++ != ':' || parse_digits(&s, 2, &mi))
			return -1;
		if (*s == ':') {
			s++;
			if (parse_digits(&s, 2, &se))
				return -1;
		}
		if (h > 23 || mi > 59 || se > 60)
			return -1;
		if (*s == 'Z' || *s == 'z') {
			s++;
		} else if (*s == '+' || *s == '-') {
			sign = *s++ == '-' ? -1 : 1;
			if (parse_digits(&s, 2, &oh))
				return -1;
			if (*s == ':')
				s++;
			if (parse_digits(&s, 2, &om))
				return -1;
		}
	}
	if (*s)
		return -1;
	*out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se -
	       sign * (oh * 3600 + om * 60);
	return 0;
}

void
time_format_iso(int64_t t, char *out, size_t outsz)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
time_format_date(int64_t t, char *out, size_t outsz)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, outsz, "%Y-%m-%d", &tm);
}

void
time_format_rfc5322(int64_t t, char *out, size_t outsz)
{
	static const char *wd[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *mn[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	snprintf(out, outsz, "%s, %02d %s %04d %02d:%02d:%02d +0000", wd[tm.tm_wday], tm.tm_mday,
		 mn[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

char *
random_token(size_t nbytes)
{
	unsigned char raw[64];
	char *hex;
	size_t got = 0;

	if (nbytes > sizeof(raw))
		nbytes = sizeof(raw);
	while (got < nbytes) {
		ssize_t r = getrandom(raw + got, nbytes - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			fatalx("getrandom: %s", strerror(errno));
		}
		got += (size_t)r;
	}
	hex = xmalloc(nbytes * 2 + 1);
	for (size_t i = 0; i < nbytes; i++) {
		hex[i * 2] = "0123456789abcdef"[raw[i] >> 4];
		hex[i * 2 + 1] = "0123456789abcdef"[raw[i] & 15];
	}
	hex[nbytes * 2] = '\0';
	return hex;
}

int
fd_read(int fd, size_t cap, char **out, size_t *outlen)
{
	struct buf b;
	char chunk[65536];
	int rc = -1;
	ssize_t n;

	*out = NULL;
	*outlen = 0;
	buf_init(&b, cap);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto out;
		}
		if (buf_add(&b, chunk, (size_t)n) < 0) {
			rc = -2;
			goto out;
		}
	}
	*outlen = b.len;
	*out = buf_steal(&b);
	rc = 0;
out:
	if (rc != 0)
		buf_free(&b);
	return rc;
}

int
file_read(const char *path, size_t cap, char **out, size_t *outlen)
{
	int fd, rc;

	*out = NULL;
	*outlen = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	rc = fd_read(fd, cap, out, outlen);
	close(fd);
	return rc;
}

int
thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int r;

	/* The thread inherits the mask in force at its creation. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

static int
strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *
strv_join_set(char **v, size_t n)
{
	struct buf b;

	if (n > 0)
		qsort(v, n, sizeof(*v), strp_cmp);
	buf_init(&b, 0);
	buf_adds(&b, "");
	for (size_t i = 0; i < n; i++)
		if (i == 0 || strcmp(v[i], v[i - 1]) != 0)
			buf_printf(&b, "%s%s", b.len ? " " : "", v[i]);
	/* freed only now: each string is compared with the one before it */
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	return buf_steal(&b);
}
