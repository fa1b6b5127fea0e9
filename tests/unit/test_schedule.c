/* test_schedule.c: the round's calendar: every due day of a four-month round, walked day
 * by day; a pause, a repeated pass, a clock stepped back and a jump of a year; months
 * added with the month's end clamped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "schedule.h"
#include "util.h"

static int64_t
day(const char *iso)
{
	int64_t t;

	assert_int_equal(time_parse(iso, &t), 0);
	return schedule_day(t);
}

static const struct sched_conf conf = { 14, 30, 30 };

static void
test_add_months(void **state)
{
	assert_int_equal(schedule_add_months(day("2026-03-02"), 4), day("2026-07-02"));
	assert_int_equal(schedule_add_months(day("2026-10-31"), 4), day("2027-02-28"));
	assert_int_equal(schedule_add_months(day("2027-10-31"), 4), day("2028-02-29"));
	assert_int_equal(schedule_add_months(day("2026-01-31"), 1), day("2026-02-28"));
	assert_int_equal(schedule_add_months(day("2026-08-31"), 1), day("2026-09-30"));
	assert_int_equal(schedule_add_months(day("2026-11-15"), 2), day("2027-01-15"));
	assert_int_equal(schedule_add_months(day("2026-12-31"), 24), day("2028-12-31"));
}

static void
test_days(void **state)
{
	assert_int_equal(schedule_day(0), 0);
	assert_int_equal(schedule_day(86399), 0);
	assert_int_equal(schedule_day(86400), 1);
	assert_int_equal(schedule_day(-1), -1);
	assert_int_equal(schedule_day_start(day("2026-03-02")) % 86400, 0);
}

/* A pass every day from the start to a month past the end. */
static void
test_walk(void **state)
{
	int64_t s = day("2026-03-02"), e = schedule_add_months(s, 4);
	int64_t last[SCHED_NKINDS] = { -1, -1, -1, -1 };
	int count[SCHED_NKINDS] = { 0 };
	struct sched_job jobs[SCHED_NKINDS];

	for (int64_t d = s - 10; d < e + 30; d++) {
		int n = schedule_due(s, e, &conf, last, d, jobs);

		for (int i = 0; i < n; i++) {
			enum sched_kind k = jobs[i].kind;

			assert_int_equal(jobs[i].day, d);     /* on time, every time */
			if (k == SCHED_DIGEST)
				assert_int_equal((d - s) % 14, 0);
			if (k == SCHED_CHECKIN)
				assert_int_equal((d - s) % 30, 0);
			if (k == SCHED_REMINDER)
				assert_int_equal(d, e - 30);
			if (k == SCHED_CLOSE)
				assert_int_equal(d, e);
			if (d >= e)
				assert_int_equal(k, SCHED_CLOSE);
			last[k] = jobs[i].day;
			count[k]++;
		}
		/* the same pass again finds nothing */
		assert_int_equal(schedule_due(s, e, &conf, last, d, jobs), 0);
	}
	assert_int_equal(e - s, 122);
	assert_int_equal(count[SCHED_DIGEST], 8);      /* days 14 ... 112 */
	assert_int_equal(count[SCHED_CHECKIN], 4);     /* days 30, 60, 90, 120 */
	assert_int_equal(count[SCHED_REMINDER], 1);
	assert_int_equal(count[SCHED_CLOSE], 1);
}

static void
test_pause_and_steps(void **state)
{
	int64_t s = day("2026-03-02"), e = schedule_add_months(s, 4);
	int64_t last[SCHED_NKINDS] = { -1, -1, -1, -1 };
	struct sched_job jobs[SCHED_NKINDS];
	int n;

	/* six weeks without a pass: one digest (the latest) and one check-in */
	n = schedule_due(s, e, &conf, last, s + 45, jobs);
	assert_int_equal(n, 2);
	assert_int_equal(jobs[0].kind, SCHED_DIGEST);
	assert_int_equal(jobs[0].day, s + 42);
	assert_int_equal(jobs[1].kind, SCHED_CHECKIN);
	assert_int_equal(jobs[1].day, s + 30);
	last[SCHED_DIGEST] = s + 42;
	last[SCHED_CHECKIN] = s + 30;
	/* the clock stepped back a fortnight: nothing */
	assert_int_equal(schedule_due(s, e, &conf, last, s + 31, jobs), 0);
	/* a jump of a year: the close only */
	n = schedule_due(s, e, &conf, last, s + 400, jobs);
	assert_int_equal(n, 1);
	assert_int_equal(jobs[0].kind, SCHED_CLOSE);
	assert_int_equal(jobs[0].day, e);
	/* before the start nothing; a reminder longer than the round never comes */
	assert_int_equal(schedule_due(s, e, &conf, (int64_t[]){ -1, -1, -1, -1 }, s, jobs), 0);
	{
		struct sched_conf c2 = { 14, 30, 200 };

		assert_int_equal(schedule_latest(SCHED_REMINDER, s, e, &c2, e - 1), -1);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_months),
		cmocka_unit_test(test_days),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_pause_and_steps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
