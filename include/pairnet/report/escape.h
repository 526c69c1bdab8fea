/* One escaper per output format, for every string pairnet did not write
 * itself (paths, the recorded command, store keys, model names, the host's
 * CPU name, anything read back from a file): what it prints can then never
 * become markup, a table cell boundary, a command or a terminal control
 * sequence. Each appends to a pn_buf; ordinary text (printable UTF-8 with no
 * character the format treats specially) comes out unchanged, so tables of
 * ordinary names stay byte-identical. docs/security.md lists which escaper
 * each output uses. */
#ifndef PAIRNET_ESCAPE_H
#define PAIRNET_ESCAPE_H

#include <stddef.h>

#include "pairnet/base/buf.h"

/* The length (1 to 4) of the well-formed UTF-8 character at s[0..n), with
 * its code point in *cp; 0 for a byte that starts none (overlong forms,
 * surrogates and code points past U+10FFFF are not well-formed). */
size_t pn_utf8_char(const char *s, size_t n, unsigned *cp);
/* The longest prefix of s[0..len) of at most max bytes that does not end
 * inside a well-formed multi-byte character (a byte that is no UTF-8 counts
 * as a character of its own). */
size_t pn_utf8_cut(const char *s, size_t len, size_t max);

/* HTML and XML element text: & < > " ' as references; a control character
 * other than tab and newline as its visible picture (ESC as U+241B), C1
 * controls, non-characters and bytes that are no UTF-8 as U+FFFD: the result
 * is well-formed XML (an SVG file) and plain text in HTML whatever s holds. */
void pn_esc_html(pn_buf *b, const char *s);
void pn_esc_html_n(pn_buf *b, const char *s, size_t n);
/* An attribute value, to be put between double quotes: as element text, and
 * tab and newline as references (a parser would fold them to spaces). */
void pn_esc_attr(pn_buf *b, const char *s);

/* Markdown text, for a table cell or a line of running text: the characters
 * that start markup (\ ` * _ at a word's edge, [ ] < > | & ~ $) are
 * backslash-escaped, control characters and bytes that are no UTF-8 are
 * written as \xNN (literal text in Markdown), and a leading or trailing space
 * is &#32; (a cell would otherwise lose it). */
void pn_esc_md(pn_buf *b, const char *s);
/* A fenced code block holding text, with info string info ("sh", or ""):
 * the fence is longer than the longest run of backticks in text, so no line
 * of text can close it. Control characters other than tab and newline are
 * shown as their pictures, as in pn_esc_html (a code block has no escapes). */
void pn_esc_md_code(pn_buf *b, const char *info, const char *text);

/* A CSV field per RFC 4180: quoted when it holds a comma, a double quote, CR
 * or LF, with every double quote doubled; otherwise as is. */
void pn_esc_csv(pn_buf *b, const char *s);

/* Text for a terminal or a log: control characters (C0 including ESC, CR,
 * LF and tab, DEL, and the C1 controls), bidirectional overrides and bytes
 * that are no UTF-8 as \xNN (\uNNNN for the overrides), a backslash as \\;
 * well-formed printable UTF-8 as is. Never emits a control byte. */
void pn_esc_term(pn_buf *b, const char *s);
/* pn_esc_term of s into out[cap] (cap >= 4), for a printf argument: when it
 * does not fit it is cut at a character boundary and ends in "...".
 * Returns out. */
const char *pn_term_str(char *out, size_t cap, const char *s);

/* One shell word: bare when it holds only letters, digits and @%+=:,./_-
 * (and is not empty); otherwise single-quoted, a quote as '\'' and a byte
 * that a paste could mangle (a control character other than tab and
 * newline, or no UTF-8) as "$(printf '\ooo')". Pasted into any POSIX
 * shell it is exactly s, and nothing in it is expanded or run. */
void pn_esc_shell(pn_buf *b, const char *s);
/* prog and args[0..n) as one shell command line into out[cap], each word
 * through pn_esc_shell. When it does not fit, the words that fit are kept
 * (the last one shortened at a character boundary) and a comment says the
 * line was shortened; returns 1 then, else 0. */
int pn_shell_command(char *out, size_t cap, const char *prog, char *const *args, size_t n);

#endif
