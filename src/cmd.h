/* cmd.h: the command in a Subject line (SPEC §2). cmd_parse() strips reply/forward prefixes
 * in many languages ("Re:", "AW:", "回复：", "Re[2]:") and [tags], then reads the first word
 * case-insensitively. struct cmd's strings belong to it: cmd_free() frees them. */
#ifndef ILN_CMD_H
#define ILN_CMD_H

enum cmd_kind {
	CMD_UNKNOWN,
	CMD_HELP,
	CMD_SIGNUP,
	CMD_CONFIRM,
	CMD_UPDATE,
	CMD_SHOW,
	CMD_STATUS,
	CMD_WITHDRAW,
	CMD_DISSOLVE,
	CMD_PROBLEM,
	CMD_CONTINUE,
	CMD_CONCLUDE,
	CMD_DELETE,
	CMD_CHANGE,
	CMD_SUBSCRIBE,
	CMD_UNSUBSCRIBE,
	CMD_ROUND_OPEN,
	CMD_MATCH,
	CMD_APPROVE,
	CMD_TOPIC,
	CMD_STATS,
	CMD_EXPORT,
};

#define CMD_WORD_MAX 40         /* bytes, whole UTF-8 characters */
#define CMD_ARG_MAX 200

struct cmd {
	enum cmd_kind kind;
	/* The command word as written ("Join", "round open"), or the first word of an unknown
	 * subject; no control characters, at most CMD_WORD_MAX bytes. */
	char *word;
	/* What follows the command, trimmed, no control characters, white space runs as one
	 * space, at most CMD_ARG_MAX bytes; "" when none. CONFIRM: only the first token after
	 * the word. CHANGE: the first address-like word (a@b), or "" when there is none. */
	char *arg;
};

/* Always fills out (free it with cmd_free). Returns 0, or -1 when subject (NULL counts) is
 * not valid UTF-8; then kind is CMD_UNKNOWN and word and arg are "". An empty subject, or
 * one that is only prefixes, is CMD_UNKNOWN. Compiles its patterns on first use (fatalx if
 * that fails); not thread-safe. */
int cmd_parse(const char *subject, struct cmd *out);
void cmd_free(struct cmd *c);
/* "SIGNUP", "ROUND OPEN", ...; "UNKNOWN" for CMD_UNKNOWN. */
const char *cmd_name(enum cmd_kind k);
/* Frees the compiled patterns (they are compiled again when needed). */
void cmd_cleanup(void);

#endif
