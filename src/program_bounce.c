/* program_bounce.c: what a bounce does (SPEC §6), inside the inbound transaction. The
 * parser (msg_bounce.c) says what the report claims; only the VERP token proves which
 * mail it answers, and the report's recipients count only where they are that mail's
 * (a mail to one address: that address). Each failure is recorded once per mail,
 * address and severity (store_bounce.c). A one-to-one mail's first permanent failure
 * tells the coordinators who bounced, which kind of mail and who is left waiting, never
 * the mail's text; two permanent failures of digests stop the digests; an abuse
 * complaint about a digest unsubscribes from digests; temporary failures are counted.
 * A report that names no mail of ours (no token, a token we never sent) changes
 * nothing: it is set aside with a log line. Nothing here is answered. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "log.h"
#include "msg_bounce.h"
#include "profile.h"
#include "program.h"
#include "store.h"
#include "tmpl.h"
#include "util.h"
#include "words.h"

#define DIGEST_STOP_FAILURES 2   /* permanent digest failures that stop digests */

/* The mail a person gets alone (or with their partner), whose loss leaves someone waiting. */
static bool
one_to_one(const char *kind)
{
	static const char *const kinds[] = { "introduction", "nudge", "checkin", "reminder" };

	for (size_t i = 0; i < nitems(kinds); i++)
		if (strcmp(kind, kinds[i]) == 0)
			return true;
	return false;
}

/* The partner whom the lost mail leaves waiting: the other addressee of an introduction,
 * else the address's active partner. Caller frees; NULL when there is none. */
static char *
waiting_partner(struct program *p, const struct sent_mail *m, const char *email)
{
	struct participant part;
	struct partnership x;
	char *who = NULL;

	if (strcmp(m->kind, "introduction") == 0) {
		const char *s = m->rcpts;

		while (*s) {
			size_t n = strcspn(s, "\n");

			if (n > 0 && (strlen(email) != n || strncasecmp(s, email, n) != 0))
				return xstrndup(s, n);
			s += n + (s[n] == '\n');
		}
		return NULL;
	}
	memset(&part, 0, sizeof(part));
	memset(&x, 0, sizeof(x));
	if (store_participant_get(p->st, email, &part, NULL) == 1 &&
	    store_partner_of(p->st, part.id, &x) == 1)
		who = xstrdup(x.a == part.id ? x.b_email : x.a_email);
	participant_clear(&part);
	partnership_clear(&x);
	return who;
}

static int
tell_coordinators(struct program *p, const struct sent_mail *m, const char *email,
		  const char *status)
{
	char *partner = waiting_partner(p, m, email);
	char **coords = NULL;
	size_t nc = program_coordinators(p->conf, &coords);
	char key[96];
	struct outmail om = { .tmpl = "bounce_coordinators", .to = (const char *const *)coords,
			      .nto = nc };
	struct tmpl_var v[] = { { "bounced", email }, { "kind", m->kind },
				{ "partner", partner ? partner : "" },
				{ "no_partner", partner ? "" : "yes" },
				{ "status", status[0] ? status : nc == 0 ? "" :
					    words_text(reply_outmail_language(p, &om),
						       "coord.bounce.no_status") } };
	int rc = 0;

	snprintf(key, sizeof(key), "bounce:%lld:%.60s", (long long)m->id, email);
	if (nc > 0) {
		memset(&om, 0, sizeof(om));
		om.tmpl = "bounce_coordinators";
		om.vars = v;
		om.nvars = nitems(v);
		om.to = (const char *const *)coords;
		om.nto = nc;
		om.key = key;
		rc = outmail_queue(p, &om);
	} else {
		log_warnx("bounce: no coordinators are configured to be told that %s bounced", email);
	}
	program_strv_free(coords, nc);
	free(partner);
	return rc;
}

/* An abuse complaint about a digest: no more digests to that address. */
static int
complaint_unsubscribe(struct program *p, const char *email)
{
	struct profile prof;
	int found, rc = -1;

	memset(&prof, 0, sizeof(prof));
	if (store_subscriber_remove(p->st, email) < 0 ||
	    (found = store_participant_get(p->st, email, NULL, &prof)) < 0)
		goto out;
	if (found && prof.digest > 0) {
		prof.digest = 0;
		if (store_participant_update(p->st, email, &prof, p->now) < 0)
			goto out;
	}
	log_info("bounce: abuse complaint from %s about a digest: unsubscribed from digests", email);
	rc = 0;
out:
	profile_free(&prof);
	return rc;
}

/* One failure of mail m to email: recorded, and its effects. */
static int
bounce_effect(struct program *p, const struct sent_mail *m, const char *email,
	      enum bounce_severity sev, const char *status, const char *source)
{
	bool digest = strcmp(m->kind, "digest") == 0;
	enum bounce_record rec = sev == BOUNCE_PERMANENT ? BOUNCE_RECORD_PERMANENT :
				 BOUNCE_RECORD_TEMPORARY;
	int added, digest_failures;

	if ((added = store_bounce_add(p->st, m->id, email, m->kind, rec, status, source,
				      p->now)) < 0)
		return -1;
	if (added == 0) {
		log_info("bounce: %s failure of mail %lld to %s already counted",
			 bounce_record_name(rec), (long long)m->id, email);
		return 0;
	}
	if (store_bounce_count(p->st, email, rec, m->kind, digest, p->now, &digest_failures) < 0)
		return -1;
	log_info("bounce: %s failure (%s) of %s mail %lld to %s", bounce_record_name(rec),
		 status[0] ? status : "no status", m->kind, (long long)m->id, email);
	if (sev != BOUNCE_PERMANENT)
		return 0;
	if (one_to_one(m->kind))
		return tell_coordinators(p, m, email, status);
	if (digest && digest_failures >= DIGEST_STOP_FAILURES) {
		int r = store_bounce_stop_digests(p->st, email, p->now);

		if (r > 0)
			log_info("bounce: %s: %d digests failed for good; digests stopped", email,
				 digest_failures);
		return r < 0 ? -1 : 0;
	}
	return 0;
}

/* Whether addr is one of m's recipients. */
static bool
rcpt_of(const struct sent_mail *m, const char *addr)
{
	size_t al = strlen(addr);

	for (const char *s = m->rcpts; al > 0 && *s;) {
		size_t n = strcspn(s, "\n");

		if (n == al && strncasecmp(s, addr, n) == 0)
			return true;
		s += n + (s[n] == '\n');
	}
	return false;
}

static size_t
rcpt_count(const struct sent_mail *m)
{
	size_t n = 0;

	for (const char *s = m->rcpts; *s; s++)
		n += s[1] == '\n' || s[1] == '\0';
	return n;
}

/* The reported recipient as one of m's: its address, or m's only one. */
static const char *
rcpt_match(const struct sent_mail *m, const struct bounce_rcpt *r)
{
	if (rcpt_of(m, r->addr))
		return r->addr;
	if (rcpt_of(m, r->original))
		return r->original;
	if (rcpt_count(m) == 1)
		return m->rcpts;
	return NULL;
}

int
program_bounce(struct program *p, struct program_in *in, const char *raw, size_t len,
	       bool *rejected)
{
	const char *base = reply_bounce_base(p->conf), *at = strrchr(p->conf->address, '@');
	struct bounce *b = xmalloc(sizeof(*b));
	struct sent_mail m;
	char *env = NULL;
	int found = 0, acted = 0, rc = -1;

	memset(&m, 0, sizeof(m));
	if (msg_bounce_parse(raw, len, base, at ? at + 1 : NULL, b) == BOUNCE_NONE) {
		rc = 0;
		goto out;
	}
	in->outcome = OUTCOME_IGNORED;
	if (b->token[0]) {
		const char *bat = strrchr(base, '@');

		env = xasprintf("%.*s+%s%s", (int)(bat - base), base, b->token, bat);
		if ((found = store_sent_by_token(p->st, b->token, env, &m)) < 0)
			goto out;
	}
	if (!found) {
		const char *why = b->token[0] ? "a token of no mail of ours" : "no token of ours";

		if (b->message_id[0] && store_sent_by_message_id(p->st, b->message_id, &m) == 1)
			snprintf(in->detail, sizeof(in->detail), "bounce (%s) of our %s mail %lld "
				 "by its Message-ID only, %s: no effect", b->shape, m.kind,
				 (long long)m.id, why);
		else
			snprintf(in->detail, sizeof(in->detail), "bounce (%s) that names %s: "
				 "untraced, set aside", b->shape, why);
		if (store_bounce_add(p->st, 0, "", m.kind ? m.kind : "", BOUNCE_RECORD_UNTRACED, "",
				     b->shape, p->now) < 0)
			goto out;
		in->outcome = OUTCOME_REJECTED;
		*rejected = true;
		rc = 1;
		goto out;
	}
	if (b->kind == BOUNCE_ARF) {
		const char *who = b->nrcpts ? rcpt_match(&m, &b->rcpts[0]) : NULL;

		if (who == NULL && rcpt_count(&m) == 1)
			who = m.rcpts;
		if (who && store_bounce_add(p->st, m.id, who, m.kind, BOUNCE_RECORD_COMPLAINT, "",
					    b->feedback_type[0] ? b->feedback_type : "arf",
					    p->now) > 0 &&
		    strcmp(m.kind, "digest") == 0 && strcmp(b->feedback_type, "abuse") == 0) {
			if (complaint_unsubscribe(p, who) < 0)
				goto out;
		}
		snprintf(in->detail, sizeof(in->detail), "complaint (%s) about %s mail %lld to %s",
			 b->feedback_type[0] ? b->feedback_type : "unknown", m.kind, (long long)m.id,
			 who ? who : "?");
		rc = 1;
		goto out;
	}
	for (size_t i = 0; i < b->nrcpts; i++) {
		const struct bounce_rcpt *r = &b->rcpts[i];
		const char *who;
		enum bounce_severity sev = r->severity;

		if (sev == BOUNCE_SUCCESS)
			continue;
		if ((who = rcpt_match(&m, r)) == NULL) {
			log_info("bounce: %s is no recipient of mail %lld; not counted", r->addr,
				 (long long)m.id);
			continue;
		}
		if (sev == BOUNCE_UNKNOWN)
			sev = BOUNCE_TEMPORARY;   /* a failure of no known kind is only counted */
		if (bounce_effect(p, &m, who, sev, r->status, b->shape) < 0)
			goto out;
		acted++;
	}
	snprintf(in->detail, sizeof(in->detail), "bounce (%s, %s) of %s mail %lld: %d "
		 "recipient%s counted", b->shape, bounce_severity_name(bounce_severity_of(b)),
		 m.kind, (long long)m.id, acted, acted == 1 ? "" : "s");
	rc = 1;
out:
	sent_mail_clear(&m);
	free(env);
	free(b);
	return rc;
}

int
program_bounce_pending(struct program *p)
{
	struct bounce_untold *u = NULL;
	int n, done = 0;

	if ((n = store_bounce_untold(p->st, 100, &u)) <= 0) {
		free(u);
		return n;
	}
	if (store_begin(p->st) < 0)
		goto fail;
	for (int i = 0; i < n; i++) {
		struct sent_mail m;
		int found = store_sent_by_id(p->st, u[i].outbox_id, &m);

		if (found < 0 ||
		    (found && one_to_one(m.kind) &&
		     tell_coordinators(p, &m, u[i].email, u[i].status ? u[i].status : "") < 0) ||
		    store_bounce_set_told(p->st, u[i].id) < 0) {
			sent_mail_clear(&m);
			store_rollback(p->st);
			goto fail;
		}
		log_info("bounce: %s refused %s mail %lld at sending time", u[i].email,
			 found ? m.kind : "a", (long long)u[i].outbox_id);
		sent_mail_clear(&m);
		done++;
	}
	if (store_commit(p->st) < 0) {
		store_rollback(p->st);
		goto fail;
	}
	for (int i = 0; i < n; i++)
		bounce_untold_clear(&u[i]);
	free(u);
	return done;
fail:
	for (int i = 0; i < n; i++)
		bounce_untold_clear(&u[i]);
	free(u);
	return -1;
}

int
program_bounce_alive(struct program *p, const char *email)
{
	int r = store_bounce_clear(p->st, email);

	if (r > 0)
		log_info("bounce: %s wrote to us: its failure count is cleared", email);
	return r < 0 ? -1 : 0;
}
