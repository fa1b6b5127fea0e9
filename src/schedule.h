/* schedule.h: the round's calendar (SPEC §5), pure: which scheduled mail of a round is
 * due on a given UTC day, from the round's dates, the configured intervals and the last
 * due day already run of each kind, never from how long a process has run. Dates are
 * UTC day numbers (days since 1970-01-01). Nothing here allocates or does I/O.
 *
 * A round starting on day S and ending on day E (S + its months, clamped to the
 * month's end) has:
 *   digest    on S + k * digest_days   (k >= 1), before E
 *   check-in  on S + k * checkin_days  (k >= 1), before E
 *   reminder  on E - reminder_days_before_end, when that is after S
 *   close     on E
 * On a day D, for each kind, only its latest day <= D is due, and only when it is later
 * than the last day run of that kind: so after a pause one mail of each kind goes out,
 * not one per missed day, and a clock stepped back or a pass repeated finds nothing.
 * From E on only the close is due: nothing else is sent at or after the end. */
#ifndef ILN_SCHEDULE_H
#define ILN_SCHEDULE_H

#include <stdint.h>

enum sched_kind { SCHED_DIGEST, SCHED_CHECKIN, SCHED_REMINDER, SCHED_CLOSE, SCHED_NKINDS };

struct sched_conf {
	int digest_days;        /* [program] digest_days, >= 1 */
	int checkin_days;       /* [program] checkin_days, >= 1 */
	int reminder_days;      /* [program] reminder_days_before_end, >= 1 */
};

struct sched_job {
	enum sched_kind kind;
	int64_t day;            /* the due day this run stands for */
};

/* "digest", "checkin", "reminder", "close": the kinds' names in keys and logs. */
const char *schedule_kind_name(enum sched_kind k);

/* schedule_day: the UTC day of a time; schedule_day_start: the time of a day's 00:00. */
int64_t schedule_day(int64_t t);
int64_t schedule_day_start(int64_t day);
/* schedule_add_months: day plus months, on the same day of the month or, when that
 * month is shorter, on its last day (31 October + 4 months is the end of February). */
int64_t schedule_add_months(int64_t day, int months);

/* schedule_latest: the latest day of kind on or before today for a round from starts to
 * ends, or -1 when none has come yet (or the kind has none). */
int64_t schedule_latest(enum sched_kind k, int64_t starts, int64_t ends,
			const struct sched_conf *c, int64_t today);

/* schedule_due: the jobs due on today, given last[k], the latest day run of each kind
 * (-1 for none), into jobs[SCHED_NKINDS], in kind order. Returns how many. */
int schedule_due(int64_t starts, int64_t ends, const struct sched_conf *c,
		 const int64_t last[SCHED_NKINDS], int64_t today, struct sched_job *jobs);

#endif
