/* The Markdown of table1.md (scripts/table1.sh) as HTML for index.html. */
#ifndef PAIRNET_MARKDOWN_H
#define PAIRNET_MARKDOWN_H

#include "pairnet/report/buf.h"

/* Appends md as HTML: headings (demoted by one level: the page has its own
 * h1), pipe tables, fenced code, paragraphs; inline **bold**, `code` and
 * backslash escapes. Everything else is text, XML-escaped. */
void pn_md_to_html(pn_buf *b, const char *md);

#endif
