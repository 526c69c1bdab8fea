/* The escapers of include/pairnet/report/escape.h, one format at a time
 * with hostile inputs, and end to end: a bench whose --out folder name is
 * made to break every format (markup, a table's bars, a code fence and a
 * newline, a command substitution) must write pages and tables in which none
 * of it is live, and a recorded command that a shell parses back to exactly
 * the argv that ran, running nothing. */
#define _XOPEN_SOURCE 700
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pairnet/base/crc32.h"
#include "pairnet/report/escape.h"
#include "pairnet/report/markdown.h"
#include "pairnet/report/progress.h"
#include "pairnet/report/provenance.h"
#include "pairnet/report/results.h"

/* The text of a buffer, "" when empty or failed. */
static const char *text_of(const pn_buf *b) { return b->data && !b->failed ? b->data : ""; }

/* esc(s) into a static string, for comparisons. */
static const char *esc(void (*fn)(pn_buf *, const char *), const char *s)
{
    static char out[4096];
    pn_buf b = {0};
    fn(&b, s);
    snprintf(out, sizeof out, "%s", text_of(&b));
    pn_buf_free(&b);
    return out;
}

/* No control byte (C0 other than tab and newline, DEL, or a C1 control
 * encoded in UTF-8) in s[0..n), and s is well-formed UTF-8. */
static int clean_text(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned cp;
        const size_t k = pn_utf8_char(s + i, n - i, &cp);
        if (!k || (cp < 0x20 && cp != '\t' && cp != '\n') || (cp >= 0x7f && cp <= 0x9f))
            return 0;
        i += k;
    }
    return 1;
}

static const char *const hostile =
    "<script>alert('x')</script> & \"q\" | a\\b `c` *d* _e_ [f](g) \x1b[31m\r\x7f\xc2\x9b\xff "
    "\xe2\x80\xae \xc3\xa9\xe2\x82\xac\n```\n$(touch X)";

/* ---- UTF-8 ------------------------------------------------------------------ */

static void escape_utf8_cut_between_characters(void)
{
    const char *s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z"; /* a é € 😀 z */
    const size_t n = strlen(s);
    CHECK(pn_utf8_cut(s, n, 1) == 1);
    CHECK(pn_utf8_cut(s, n, 2) == 1); /* not inside é */
    CHECK(pn_utf8_cut(s, n, 3) == 3);
    CHECK(pn_utf8_cut(s, n, 4) == 3 && pn_utf8_cut(s, n, 5) == 3);
    CHECK(pn_utf8_cut(s, n, 6) == 6);
    CHECK(pn_utf8_cut(s, n, 9) == 6 && pn_utf8_cut(s, n, 10) == 10);
    CHECK(pn_utf8_cut(s, n, 100) == n);
    CHECK(pn_utf8_cut("\xff\xfe", 2, 1) == 1); /* a stray byte is a unit of its own */
    unsigned cp;
    CHECK(pn_utf8_char("\xc0\x80", 2, &cp) == 0);     /* overlong */
    CHECK(pn_utf8_char("\xed\xa0\x80", 3, &cp) == 0); /* surrogate */
    CHECK(pn_utf8_char("\xf5\x80\x80\x80", 4, &cp) == 0);
    CHECK(pn_utf8_char("\xe2\x82", 2, &cp) == 0); /* truncated */
    CHECK(pn_utf8_char("\xe2\x82\xac", 3, &cp) == 3 && cp == 0x20ac);
}

/* ---- HTML and XML ------------------------------------------------------------ */

static void escape_html_text_and_attributes(void)
{
    CHECK(strcmp(esc(pn_esc_html, "plain text \xc3\xa9 100%"), "plain text \xc3\xa9 100%") == 0);
    CHECK(strcmp(esc(pn_esc_html, "<a href=\"x\" b='y'>&amp;"),
                 "&lt;a href=&quot;x&quot; b=&#39;y&#39;&gt;&amp;amp;") == 0);
    /* controls as their pictures, C1 and stray bytes as U+FFFD; tab and newline kept */
    CHECK_MSG(strcmp(esc(pn_esc_html, "a\x1b[1m\r\x7f\t\n\xc2\x9b\xff"),
                     "a\xe2\x90\x9b[1m\xe2\x90\x8d\xe2\x90\xa1\t\n\xef\xbf\xbd\xef\xbf\xbd") == 0,
              "%s", esc(pn_esc_html, "a\x1b[1m\r\x7f\t\n\xc2\x9b\xff"));
    const char *h = esc(pn_esc_html, hostile);
    CHECK(!strchr(h, '<') && !strchr(h, '>') && !strchr(h, '\'') && !strchr(h, '"'));
    CHECK(clean_text(h, strlen(h)));
    CHECK(strcmp(esc(pn_esc_attr, "a\tb\nc\"d"), "a&#9;b&#10;c&quot;d") == 0);
}

/* ---- Markdown ---------------------------------------------------------------- */

static void escape_markdown_text(void)
{
    CHECK(strcmp(esc(pn_esc_md, "cnn_ws_al"), "cnn_ws_al") == 0); /* inner underscores stay */
    CHECK(strcmp(esc(pn_esc_md, "AMD EPYC 7B13 64-Core Processor (family 25, model 1), 2 cores"),
                 "AMD EPYC 7B13 64-Core Processor (family 25, model 1), 2 cores") == 0);
    CHECK(strcmp(esc(pn_esc_md, "a|b\\c"), "a\\|b\\\\c") == 0);
    CHECK(strcmp(esc(pn_esc_md, "<script>&x"), "\\<script\\>\\&x") == 0);
    CHECK(strcmp(esc(pn_esc_md, "_e_ *d* `c` [f] ~g~ $h$"),
                 "\\_e\\_ \\*d\\* \\`c\\` \\[f\\] \\~g\\~ \\$h\\$") == 0);
    CHECK_MSG(strcmp(esc(pn_esc_md, " a\nb\x1b "), "&#32;a\\x0ab\\x1b&#32;") == 0, "%s",
              esc(pn_esc_md, " a\nb\x1b "));
    const char *m = esc(pn_esc_md, hostile);
    CHECK(!strchr(m, '\n') && clean_text(m, strlen(m)));
}

/* A table row of escaped cells reads back, through pn_md_to_html, as the
 * same number of cells holding the text, with no markup from it. */
static void escape_markdown_cells_read_back(void)
{
    pn_buf md = {0};
    pn_buf_printf(&md, "| model | note |\n|---|---|\n| ");
    pn_esc_md(&md, "a|b\\|c <b>bold</b> **x** &lt;");
    pn_buf_printf(&md, " | ");
    pn_esc_md(&md, " edge ");
    pn_buf_printf(&md, " |\n");
    pn_buf h = {0};
    pn_md_to_html(&h, text_of(&md), NULL, NULL);
    CHECK_MSG(strstr(text_of(&h), "<tr><td>a|b\\|c &lt;b&gt;bold&lt;/b&gt; **x** &amp;lt;</td>"
                                  "<td>&#32;edge&#32;</td></tr>"),
              "%s", text_of(&h));
    CHECK(!strstr(text_of(&h), "<b>") && !strstr(text_of(&h), "<strong>"));
    pn_buf_free(&md);
    pn_buf_free(&h);
}

static void escape_markdown_code_block_holds(void)
{
    const char *cmd = "pairnet bench --out 'x\n```\n# escaped\n<script>alert(1)</script>'";
    pn_buf md = {0};
    pn_esc_md_code(&md, "sh", cmd);
    CHECK_MSG(strcmp(text_of(&md), "````sh\npairnet bench --out 'x\n```\n# escaped\n"
                                   "<script>alert(1)</script>'\n````\n") == 0,
              "%s", text_of(&md));
    pn_buf_printf(&md, "after\n");
    pn_buf h = {0};
    pn_md_to_html(&h, text_of(&md), NULL, NULL);
    CHECK_MSG(strcmp(text_of(&h), "<pre><code>pairnet bench --out &#39;x\n```\n# escaped\n"
                                  "&lt;script&gt;alert(1)&lt;/script&gt;&#39;\n</code></pre>\n"
                                  "<p>after</p>\n") == 0,
              "%s", text_of(&h));
    pn_buf_free(&h);
    pn_buf_free(&md);
    pn_buf c = {0};
    pn_esc_md_code(&c, "", "plain\x1b");
    CHECK(strcmp(text_of(&c), "```\nplain\xe2\x90\x9b\n```\n") == 0);
    pn_buf_free(&c);
}

/* index.html reads table1.md as text: character references other than
 * those of printable characters, and every tag, are shown, not used. */
static void escape_markdown_references(void)
{
    pn_buf h = {0};
    pn_md_to_html(&h, "a &#32; &amp; &#x41; &#0; &#27; &bogus; &#xD800; \\< \\& \\( x\n", NULL,
                  NULL);
    CHECK_MSG(strcmp(text_of(&h), "<p>a &#32; &amp; &#x41; &amp;#0; &amp;#27; &amp;bogus; "
                                  "&amp;#xD800; &lt; &amp; ( x</p>\n") == 0,
              "%s", text_of(&h));
    pn_buf_free(&h);
}

/* ---- CSV ----------------------------------------------------------------------- */

static void escape_csv_rfc4180(void)
{
    CHECK(strcmp(esc(pn_esc_csv, "cnn_ws_al"), "cnn_ws_al") == 0);
    CHECK(strcmp(esc(pn_esc_csv, "a,b"), "\"a,b\"") == 0);
    CHECK(strcmp(esc(pn_esc_csv, "say \"hi\""), "\"say \"\"hi\"\"\"") == 0);
    CHECK(strcmp(esc(pn_esc_csv, "a\nb"), "\"a\nb\"") == 0);
    CHECK(strcmp(esc(pn_esc_csv, "a\rb"), "\"a\rb\"") == 0);
    CHECK(strcmp(esc(pn_esc_csv, "\"\""), "\"\"\"\"\"\"") == 0);
    CHECK(strcmp(esc(pn_esc_csv, ""), "") == 0);
}

/* ---- terminal ------------------------------------------------------------------ */

static void escape_terminal_text(void)
{
    CHECK(strcmp(esc(pn_esc_term, "mlp epochs=2 \xc3\xa9\xe2\x82\xac"),
                 "mlp epochs=2 \xc3\xa9\xe2\x82\xac") == 0);
    CHECK_MSG(strcmp(esc(pn_esc_term, "\x1b[2J\r\n\t\x7f\xc2\x9b\xff\\\xe2\x80\xae"),
                     "\\x1b[2J\\x0d\\x0a\\x09\\x7f\\xc2\\x9b\\xff\\\\\\u202e") == 0,
              "%s", esc(pn_esc_term, "\x1b[2J\r\n\t\x7f\xc2\x9b\xff\\\xe2\x80\xae"));
    const char *t = esc(pn_esc_term, hostile);
    CHECK(!strchr(t, '\n') && !strchr(t, '\t') && clean_text(t, strlen(t)));
    char out[12];
    pn_term_str(out, sizeof out, "abcdef\xe2\x82\xac\xe2\x82\xac");
    CHECK_MSG(strcmp(out, "abcdef...") == 0, "%s", out); /* the euro sign is not split */
    pn_term_str(out, sizeof out, "ab\x1b");
    CHECK(strcmp(out, "ab\\x1b") == 0);
}

/* An error message quoting a path never carries a control character to
 * the terminal, C1 controls (two bytes in UTF-8) included. */
static void escape_error_messages_one_clean_line(void)
{
    pn_err err = {0};
    pn_fail(&err, PN_ERR_USAGE, "--out '%s' is bad", "a\x1b[2J\n\xc2\x9b" "1m\xc3\xa9");
    CHECK_MSG(strcmp(err.msg, "--out 'a?[2J???1m\xc3\xa9' is bad") == 0, "%s", err.msg);
}

/* ---- shell --------------------------------------------------------------------- */

/* Runs script with /bin/sh in dir; its stdout into out[cap]. Returns the
 * exit status, or -1. */
static int sh_run(const char *dir, const char *script, char *out, size_t cap)
{
    char path[1024], res[1024], cmd[3000];
    snprintf(path, sizeof path, "%s/script.sh", dir);
    snprintf(res, sizeof res, "%s/script.out", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(script, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "cd '%s' && /bin/sh ./script.sh >script.out 2>/dev/null", dir);
    const int st = system(cmd);
    t_read_file(res, out, cap);
    return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A line per argument of "$@", in hex, after `set -- ` + words. */
static const char *const print_args =
    "\nfor a in \"$@\"; do printf '%s' \"$a\" | od -An -v -tx1 | tr -d ' \\n'; echo; done\n";

/* The hex lines print_args prints for args. */
static void hex_lines(char *out, size_t cap, char *const *args, size_t n)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && len + 3 < cap; i++) {
        for (const unsigned char *p = (const unsigned char *)args[i]; *p && len + 3 < cap; p++)
            len += (size_t)snprintf(out + len, cap - len, "%02x", *p);
        len += (size_t)snprintf(out + len, cap - len, "\n");
    }
}

/* A scratch folder of the test's own, emptied of a marker X. */
static const char *scratch(const char *name)
{
    static char dir[600];
    snprintf(dir, sizeof dir, "%s/%s", t_tmp_dir(), name);
    mkdir(dir, 0700);
    char x[700];
    snprintf(x, sizeof x, "%s/X", dir);
    unlink(x);
    return dir;
}

static int exists_in(const char *dir, const char *name)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

static void escape_shell_words_parse_back(void)
{
    CHECK(strcmp(esc(pn_esc_shell, "--out=/tmp/x,y@z:1%+"), "--out=/tmp/x,y@z:1%+") == 0);
    CHECK(strcmp(esc(pn_esc_shell, ""), "''") == 0);
    CHECK(strcmp(esc(pn_esc_shell, "it's"), "'it'\\''s'") == 0);
    CHECK(strcmp(esc(pn_esc_shell, "a\x1b"), "'a'\"$(printf '\\033')\"") == 0);
    char *args[] = {"--", "$(touch X)", "a b", "it's", "new\nline", "-x", "", "`touch X`",
                    "\x1b[31m\r", "\xff\xfe", "\xc3\xa9\xe2\x82\xac", "*", "~", "a=b",
                    "${HOME}", "\"q\"", "\\", "!x", "tab\there", "--out=$HOME", "#c", ";", "&"};
    const size_t n = sizeof args / sizeof *args;
    char cmd[2048];
    CHECK(pn_shell_command(cmd, sizeof cmd, "set", args, n) == 0);
    CHECK(clean_text(cmd, strlen(cmd)));
    char script[4096], got[4096], want[4096];
    snprintf(script, sizeof script, "%s%s", cmd, print_args);
    const char *dir = scratch("shell");
    CHECK_MSG(sh_run(dir, script, got, sizeof got) == 0, "%s", script);
    hex_lines(want, sizeof want, args + 1, n - 1);
    CHECK_MSG(strcmp(got, want) == 0, "command %s\ngot\n%s\nwant\n%s", cmd, got, want);
    CHECK_MSG(!exists_in(dir, "X"), "pasting the command ran a command substitution: %s", cmd);
}

/* A command too long to record is shortened between words or characters,
 * says so, and still parses (its quotes are closed). */
static void escape_shell_command_shortened(void)
{
    char big[1200] = "", *args[] = {"--", "a b", big};
    for (size_t i = 0; i + 2 < sizeof big - 1; i += 2)
        memcpy(big + i, "\xc3\xa9", 2); /* é, 2 bytes each */
    char cmd[201], script[1024], got[4096];
    CHECK(pn_shell_command(cmd, sizeof cmd, "set", args, 3) == 1);
    CHECK(strlen(cmd) < sizeof cmd && strstr(cmd, "shortened"));
    CHECK(clean_text(cmd, strlen(cmd)));
    snprintf(script, sizeof script, "%s%s", cmd, print_args);
    CHECK_MSG(sh_run(scratch("shell-cut"), script, got, sizeof got) == 0, "%s", cmd);
    /* two arguments: "a b" whole, then a prefix of é's */
    CHECK_MSG(strncmp(got, "612062\nc3a9c3a9", 15) == 0, "%s\n%s", cmd, got);
    const char *second = strchr(got, '\n') + 1;
    const size_t hex = strcspn(second, "\n");
    CHECK(hex % 4 == 0 && second[hex] == '\n' && second[hex + 1] == '\0');
    char tiny[8];
    CHECK(pn_shell_command(tiny, sizeof tiny, "pairnet", args, 3) == 1 && strlen(tiny) < 8);
}

/* ---- progress ---------------------------------------------------------------------- */

/* The progress output of two models named to misbehave, frames of width
 * cols (0: a line per round), without the display's own sequences (\r,
 * erase line, cursor up), into out. */
static void progress_text(int cols, char *out, size_t cap)
{
    out[0] = '\0';
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f)
        return;
    static char long_name[64];
    memset(long_name, 0, sizeof long_name);
    for (size_t i = 0; i < 25; i++) /* 50 bytes of é: cut somewhere inside */
        memcpy(long_name + 2 * i, "\xc3\xa9", 2);
    const char *names[] = {"bad\x1b]0;x\x07\x1b[2J", long_name};
    const double cost[] = {1.0, 1.0};
    const size_t epochs[] = {2, 2}, done[] = {0, 0};
    pn_progress p;
    pn_err err = {0};
    CHECK(pn_progress_init(&p, f, 2, names, cost, 2, epochs, done, &err) == PN_OK);
    pn_progress_set_width(&p, cols);
    pn_round_rec r = {.n_epochs = 2, .train_acc = 0.5, .test_acc = 0.25, .seconds = 1.0};
    snprintf(r.model, sizeof r.model, "%s", names[0]);
    pn_progress_epoch(&p, 0, 1);
    pn_progress_round(&p, 0, &r);
    pn_progress_end(&p);
    pn_progress_free(&p);
    rewind(f);
    size_t n = 0;
    int c;
    while ((c = getc(f)) != EOF && n + 1 < cap) {
        if (c == '\r')
            continue;
        if (c == '\033') { /* the display's own: ESC [ K and ESC [ N A */
            const int open = getc(f);
            int d;
            while ((d = getc(f)) != EOF && d >= '0' && d <= '9')
                ;
            CHECK_MSG(open == '[' && (d == 'K' || d == 'A'), "a raw escape sequence");
            continue;
        }
        out[n++] = (char)c;
    }
    out[n] = '\0';
    fclose(f);
}

static void escape_progress_names(void)
{
    static char text[16384];
    progress_text(0, text, sizeof text);
    CHECK_MSG(strstr(text, "bad\\x1b]0;x\\x07\\x1b[2J round 0") && clean_text(text, strlen(text)),
              "%s", text);
    progress_text(100, text, sizeof text);
    CHECK_MSG(strstr(text, "bad\\x1b]0;x\\x07\\x1b[2J ") && clean_text(text, strlen(text)), "%s",
              text);
    CHECK_MSG(strstr(text, "\xc3\xa9..."), "%s", text); /* the long name cut between characters */
    progress_text(61, text, sizeof text);
    CHECK_MSG(clean_text(text, strlen(text)), "%s", text);
}

/* ---- index.html: only the folder's own figures, table1.md as text --------------- */

static void write_text(const char *dir, const char *name, const char *text)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static char *read_whole(const char *dir, const char *name, size_t *len)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "rb");
    if (!f)
        return NULL;
    char *s = malloc(1 << 22);
    *len = s ? fread(s, 1, (1 << 22) - 1, f) : 0;
    if (s)
        s[*len] = '\0';
    fclose(f);
    return s;
}

/* Case-insensitive strstr. */
static const char *find_ci(const char *h, const char *needle)
{
    const size_t n = strlen(needle);
    for (; *h; h++) {
        size_t i = 0;
        while (i < n && h[i] && (h[i] | 0x20) == (needle[i] | 0x20))
            i++;
        if (i == n)
            return h;
    }
    return NULL;
}

static int write_page(const char *dir)
{
    pn_model_summary s;
    memset(&s, 0, sizeof s);
    snprintf(s.model, sizeof s.model, "mlp");
    s.rounds = 1;
    pn_run_info info;
    memset(&info, 0, sizeof info);
    snprintf(info.command, sizeof info.command, "pairnet bench");
    pn_err err = {0};
    return pn_write_index_html(dir, &s, 1, NULL, 0, &info, &err);
}

#define PAGE_SVG "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\">"

static void escape_index_inlines_only_own_figures(void)
{
    const char *up = scratch("page");
    char dir[700];
    snprintf(dir, sizeof dir, "%s/run", up);
    mkdir(dir, 0700);
    write_text(up, "evil.svg", PAGE_SVG "<script>alert('up')</script></svg>\n");
    write_text(dir, "planted.svg", PAGE_SVG "<text x=\"1\" onload=\"alert(2)\">p</text></svg>\n");
    write_text(dir, "good.svg", PAGE_SVG "<text x=\"1\" y=\"2\">GOOD-FIGURE</text></svg>\n");
    write_text(dir, "fig4.svg", PAGE_SVG "<foreignObject><script>alert(3)</script>"
                                "</foreignObject></svg>\n");
    char link[800];
    snprintf(link, sizeof link, "%s/linked.svg", dir);
    CHECK(symlink("good.svg", link) == 0 || errno == EEXIST);
    write_text(dir, "table1.md",
               "# Grid of <script>alert(4)</script> & co\n\n"
               "| folder | acc |\n|---|---|\n| <img src=x onerror=alert(5)> &amp; | 1 |\n\n"
               "![up](../evil.svg)\n![abs](/etc/passwd.svg)\n![p](planted.svg)\n"
               "![g](good.svg)\n![l](linked.svg)\n![h](.hidden.svg)\n![n](never<b>.svg)\n");
    CHECK(write_page(dir) == PN_OK);
    size_t len = 0;
    char *h = read_whole(dir, "index.html", &len);
    CHECK(h != NULL);
    if (!h)
        return;
    CHECK_MSG(!find_ci(h, "<script") && !find_ci(h, "onload") && !find_ci(h, "<img") &&
                  !find_ci(h, "<foreignObject") && !find_ci(h, "<b>"),
              "%s", h);
    CHECK(strstr(h, "GOOD-FIGURE") != NULL);                    /* a plain figure is inlined */
    CHECK(strstr(h, "(../evil.svg is not a figure of this folder: not inlined)"));
    CHECK(strstr(h, "(/etc/passwd.svg is not a figure of this folder"));
    CHECK(strstr(h, "(.hidden.svg is not a figure of this folder"));
    CHECK(strstr(h, "(planted.svg holds more than pairnet&#39;s figures do: not inlined)"));
    CHECK(strstr(h, "(fig4.svg holds more than pairnet&#39;s figures do"));
    CHECK(strstr(h, "(linked.svg is a symbolic link"));
    CHECK(strstr(h, "(never&lt;b&gt;.svg was not written)"));
    CHECK(strstr(h, "Grid of &lt;script&gt;alert(4)&lt;/script&gt; &amp; co"));
    CHECK(strstr(h, "<td>&lt;img src=x onerror=alert(5)&gt; &amp; </td>") ||
          strstr(h, "<td>&lt;img src=x onerror=alert(5)&gt; &amp;</td>"));
    CHECK(clean_text(h, len));
    free(h);
}

/* A table1.md that is a FIFO, or holds an endless line, is not rendered
 * (and reading it never blocks); the page says why. */
static void escape_index_table1_bounded(void)
{
    const char *dir = scratch("page-fifo");
    char sub[700], fifo[800];
    snprintf(sub, sizeof sub, "%s/table1", dir);
    mkdir(sub, 0700);
    snprintf(fifo, sizeof fifo, "%s/table1.md", sub);
    unlink(fifo);
    if (mkfifo(fifo, 0600) != 0) {
        t_skip("cannot make a FIFO here");
        return;
    }
    char fig[800];
    snprintf(fig, sizeof fig, "%s/curves.svg", dir);
    unlink(fig);
    CHECK(mkfifo(fig, 0600) == 0);
    CHECK(write_page(dir) == PN_OK);
    size_t len = 0;
    char *h = read_whole(dir, "index.html", &len);
    CHECK_MSG(h && strstr(h, "table1.md&#39; is a FIFO") && strstr(h, "(curves.svg not shown: "),
              "%s", h ? h : "");
    free(h);
    unlink(fig);
    unlink(fifo);
    char *line = malloc(40000);
    CHECK(line != NULL);
    if (!line)
        return;
    memset(line, 'a', 39999);
    line[39999] = '\0';
    write_text(sub, "table1.md", line);
    free(line);
    CHECK(write_page(dir) == PN_OK);
    h = read_whole(dir, "index.html", &len);
    CHECK_MSG(h && strstr(h, "a line too long") && !strstr(h, "aaaaaaaaaaaaaaaaaaaa"), "%s",
              h ? h : "");
    free(h);
}

/* ---- end to end: the binary --------------------------------------------------------- */

/* Runs argv (argv[0] the binary) without a shell, stdout and stderr into
 * out and err (files under the scratch folder); returns the exit status. */
static int run_argv(char *const *argv, char *out, size_t out_cap, char *err, size_t err_cap)
{
    char po[700], pe[700];
    snprintf(po, sizeof po, "%s/e2e.out", t_tmp_dir());
    snprintf(pe, sizeof pe, "%s/e2e.err", t_tmp_dir());
    fflush(NULL);
    const pid_t pid = fork();
    if (pid == 0) {
        const int fo = open(po, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int fe = open(pe, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int fi = open("/dev/null", O_RDONLY);
        if (fo < 0 || fe < 0 || fi < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0 || dup2(fi, 0) < 0)
            _exit(127);
        execv(argv[0], argv);
        _exit(127);
    }
    int st = -1;
    if (pid < 0 || waitpid(pid, &st, 0) != pid)
        return -1;
    t_read_file(po, out, out_cap);
    t_read_file(pe, err, err_cap);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char e2e_out[65536], e2e_err[8192];

/* Every '|' that is not backslash-escaped in line[0..n). */
static size_t bars(const char *line, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (line[i] == '\\')
            i++;
        else
            k += line[i] == '|';
    }
    return k;
}

/* table2.md: every table row has its header's bar count, and the command
 * block, closed by its own fence, parses back in a shell to exactly args. */
static void check_table2_md(const char *md, char *const *args, size_t n, const char *cwd)
{
    size_t header = 0;
    for (const char *line = md; *line;) {
        const size_t len = strcspn(line, "\n");
        if (line[0] == '|' && !header)
            header = bars(line, len);
        else if (line[0] == '|')
            CHECK_MSG(bars(line, len) == header, "a broken table row: %.*s", (int)len, line);
        line += len + (line[len] == '\n');
    }
    const char *block = strstr(md, "Command:\n\n");
    CHECK(block != NULL);
    if (!block)
        return;
    block += 10;
    const size_t fence = strspn(block, "`");
    CHECK(fence >= 3 && strncmp(block + fence, "sh\npairnet ", 11) == 0);
    const char *body = block + fence + 3, *end = body;
    /* the block ends at the first line that is the fence alone */
    while ((end = strchr(end, '\n')) != NULL) {
        end++;
        if (strspn(end, "`") == fence && end[fence] == '\n')
            break;
    }
    CHECK(end != NULL);
    if (!end)
        return;
    CHECK_MSG(strstr(end, "- date: ") != NULL, "the command block ended early: %s", md);
    static char script[16384], got[16384], want[16384];
    snprintf(script, sizeof script, "set -- %.*s%s", (int)(end - 1 - body - 8), body + 8,
             print_args);
    CHECK_MSG(sh_run(cwd, script, got, sizeof got) == 0, "%s", script);
    hex_lines(want, sizeof want, args, n);
    CHECK_MSG(strcmp(got, want) == 0, "the recorded command\n%s\nparses to\n%s\nnot\n%s", script,
              got, want);
    CHECK_MSG(!exists_in(cwd, "X"), "pasting the recorded command ran its $(...)");
}

/* A store record under a key holding a terminal escape, with a good CRC,
 * copied from line of a real store: bench --list must show it escaped. */
static void check_list_escapes(const char *bin, const char *store_line, const char *data)
{
    const char *dir = scratch("e2e-list");
    const char *tab = strchr(store_line, '\t');
    CHECK(tab != NULL);
    if (!tab)
        return;
    static char body[65536], file[65600];
    snprintf(body, sizeof body, "model=mlp;\x1b]0;owned\x07\x1b[2J;%s", tab + 1 + 10);
    body[strcspn(body, "\n")] = '\0';
    snprintf(file, sizeof file, "# pairnet round store v1\n%08x\t%s\n",
             (unsigned)pn_crc32(0, body, strlen(body)), body);
    write_text(dir, "rounds.pnr", file);
    char *argv[] = {(char *)bin, "bench", "--list", "--out", (char *)dir, "--data", (char *)data,
                    NULL};
    const int st = run_argv(argv, e2e_out, sizeof e2e_out, e2e_err, sizeof e2e_err);
    CHECK_MSG(st == 0 && strstr(e2e_out, "\\x1b]0 owned\\x07\\x1b[2J"), "exit %d: %s%s", st,
              e2e_out, e2e_err);
    CHECK_MSG(clean_text(e2e_out, strlen(e2e_out)) && !strchr(e2e_out, '\a'), "%s", e2e_out);
}

static void escape_bench_hostile_out_folder(void)
{
    const char *bin = getenv("PAIRNET_BIN"), *data = t_data_dir();
    if (!bin || !*bin) {
        CHECK_MSG(0, "PAIRNET_BIN is not set: run through `make test`");
        return;
    }
    if (!data)
        return; /* t_data_dir has said why */
    static char up[700], dir[1024], abs_bin[1024], abs_data[1024];
    snprintf(up, sizeof up, "%s", scratch("e2e")); /* scratch's buffer is reused */
    /* (the '/' of </script> makes it two folders deep) */
    snprintf(dir, sizeof dir, "%s/<script>alert(1)</script> & | `` ```` \n```\n$(touch X) 'q' \x1b[31m",
             up);
    if (!realpath(bin, abs_bin) || !realpath(data, abs_data)) {
        CHECK_MSG(0, "cannot resolve %s or %s", bin, data);
        return;
    }
    char *args[] = {"bench", "--models", "mlp", "--rounds", "1", "--epochs", "1", "--eval-final",
                    "--out", dir, "--data", abs_data};
    const size_t n = sizeof args / sizeof *args;
    char *argv[sizeof args / sizeof *args + 2] = {abs_bin};
    memcpy(argv + 1, args, sizeof args);
    int st = run_argv(argv, e2e_out, sizeof e2e_out, e2e_err, sizeof e2e_err);
    if (st != 0) { /* a folder with a newline may be refused: then in one clean line */
        const char *nl = strchr(e2e_err, '\n');
        CHECK_MSG(st == 2 && nl && nl[1] == '\0' && clean_text(e2e_err, strlen(e2e_err)),
                  "exit %d, stderr '%s'", st, e2e_err);
        return;
    }
    CHECK_MSG(clean_text(e2e_out, strlen(e2e_out)), "stdout: %s", e2e_out);
    size_t len = 0;
    char *md = read_whole(dir, "table2.md", &len), *csv = read_whole(dir, "table2.csv", &len);
    CHECK(md && csv);
    if (md)
        check_table2_md(md, args, n, up);
    CHECK(csv && clean_text(csv, strlen(csv)) && strncmp(csv, "model,params,", 13) == 0);
    char *store = read_whole(dir, "rounds.pnr", &len);
    const char *rec = store ? strchr(store, '\n') : NULL;
    if (rec)
        check_list_escapes(abs_bin, rec + 1, abs_data);
    /* a table1.md planted in the folder, naming a figure above it */
    static char parent[1024];
    snprintf(parent, sizeof parent, "%.*s", (int)(strrchr(dir, '/') - dir), dir);
    write_text(parent, "evil.svg", PAGE_SVG "<script>alert('up')</script></svg>\n");
    write_text(dir, "table1.md", "# grid\n\n![x](../evil.svg)\n");
    st = run_argv(argv, e2e_out, sizeof e2e_out, e2e_err, sizeof e2e_err);
    CHECK_MSG(st == 0, "rerun: exit %d, %s", st, e2e_err);
    char *h = read_whole(dir, "index.html", &len);
    CHECK(h != NULL);
    CHECK_MSG(h && !find_ci(h, "<script") && clean_text(h, len), "%s", h ? h : "");
    CHECK(h && strstr(h, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; |"));
    CHECK(h && strstr(h, "$(printf &#39;\\033&#39;)")); /* the ESC, quoted for a shell */
    CHECK(h && strstr(h, "(../evil.svg is not a figure of this folder: not inlined)"));
    CHECK_MSG(!exists_in(up, "X"), "something ran the folder's $(...)");
    free(h);
    free(store);
    free(md);
    free(csv);
}

/* What the program echoes of its arguments on a terminal: a command it does
 * not know, the checkpoint train saved. */
static void escape_cli_echoes_escaped(void)
{
    const char *bin = getenv("PAIRNET_BIN"), *data = t_data_dir();
    static char abs_bin[1024], abs_data[1024], save[1024];
    if (!bin || !*bin || !realpath(bin, abs_bin)) {
        CHECK_MSG(0, "PAIRNET_BIN is not set: run through `make test`");
        return;
    }
    char *unknown[] = {abs_bin, "bad\x1b]0;x\x07" "cmd", NULL};
    int st = run_argv(unknown, e2e_out, sizeof e2e_out, e2e_err, sizeof e2e_err);
    CHECK_MSG(st == 2 && strstr(e2e_err, "'bad\\x1b]0;x\\x07cmd'") &&
                  clean_text(e2e_err, strlen(e2e_err)),
              "exit %d: %s", st, e2e_err);
    if (!data || !realpath(data, abs_data))
        return; /* t_data_dir has said why */
    snprintf(save, sizeof save, "%s/m\x1b[2J.pn", scratch("e2e-save"));
    char *train[] = {abs_bin, "train", "--model", "mlp", "--rounds", "1", "--epochs", "1",
                     "--save", save, "--data", abs_data, NULL};
    st = run_argv(train, e2e_out, sizeof e2e_out, e2e_err, sizeof e2e_err);
    CHECK_MSG(st == 0 && strstr(e2e_out, "/m\\x1b[2J.pn (round 0") &&
                  clean_text(e2e_out, strlen(e2e_out)),
              "exit %d: %s%s", st, e2e_out, e2e_err);
}

void suite_escape(void)
{
    RUN(escape_utf8_cut_between_characters);
    RUN(escape_html_text_and_attributes);
    RUN(escape_markdown_text);
    RUN(escape_markdown_cells_read_back);
    RUN(escape_markdown_code_block_holds);
    RUN(escape_markdown_references);
    RUN(escape_csv_rfc4180);
    RUN(escape_terminal_text);
    RUN(escape_error_messages_one_clean_line);
    RUN(escape_shell_words_parse_back);
    RUN(escape_shell_command_shortened);
    RUN(escape_progress_names);
    RUN(escape_index_inlines_only_own_figures);
    RUN(escape_index_table1_bounded);
    RUN(escape_bench_hostile_out_folder);
    RUN(escape_cli_echoes_escaped);
}
