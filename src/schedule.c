/* schedule.c: the round's calendar (see schedule.h). */
#include <time.h>

#include "schedule.h"
#include "util.h"

static const char *const kind_names[SCHED_NKINDS] = {
	[SCHED_DIGEST] = "digest", [SCHED_CHECKIN] = "checkin",
	[SCHED_REMINDER] = "reminder", [SCHED_CLOSE] = "close",
};

const char *
schedule_kind_name(enum sched_kind k)
{
	return (unsigned)k < SCHED_NKINDS ? kind_names[k] : "?";
}

int64_t
schedule_day(int64_t t)
{
	return t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
}

int64_t
schedule_day_start(int64_t day)
{
	return day * 86400;
}

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int64_t
schedule_add_months(int64_t day, int months)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	time_t t = (time_t)schedule_day_start(day);
	struct tm tm;
	int y, m, last;

	gmtime_r(&t, &tm);
	m = tm.tm_mon + months;
	y = tm.tm_year + 1900 + (m >= 0 ? m / 12 : -((11 - m) / 12));
	m = ((m % 12) + 12) % 12;
	last = mdays[m] + (m == 1 && leap(y));
	tm.tm_year = y - 1900;
	tm.tm_mon = m;
	if (tm.tm_mday > last)
		tm.tm_mday = last;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	return schedule_day((int64_t)timegm(&tm));
}

/* The latest day of starts + k * every (k >= 1) before ends and on or before today. */
static int64_t
latest_every(int64_t starts, int64_t ends, int every, int64_t today)
{
	int64_t last = today < ends ? today : ends - 1, k;

	if (every < 1 || last < starts + every)
		return -1;
	k = (last - starts) / every;
	return starts + k * every;
}

int64_t
schedule_latest(enum sched_kind k, int64_t starts, int64_t ends, const struct sched_conf *c,
		int64_t today)
{
	int64_t d;

	switch (k) {
	case SCHED_DIGEST:
		return latest_every(starts, ends, c->digest_days, today);
	case SCHED_CHECKIN:
		return latest_every(starts, ends, c->checkin_days, today);
	case SCHED_REMINDER:
		d = ends - c->reminder_days;
		return d > starts && d <= today && d < ends ? d : -1;
	case SCHED_CLOSE:
		return ends <= today ? ends : -1;
	default:
		return -1;
	}
}

int
schedule_due(int64_t starts, int64_t ends, const struct sched_conf *c,
	     const int64_t last[SCHED_NKINDS], int64_t today, struct sched_job *jobs)
{
	int n = 0;

	for (int k = 0; k < SCHED_NKINDS; k++) {
		int64_t d = schedule_latest((enum sched_kind)k, starts, ends, c, today);

		if (today >= ends && k != SCHED_CLOSE)
			continue;
		if (d >= 0 && d > last[k])
			jobs[n++] = (struct sched_job){ (enum sched_kind)k, d };
	}
	return n;
}
