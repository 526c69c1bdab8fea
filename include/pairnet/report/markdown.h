/* Markdown (table1.md, the effects section) as HTML for index.html. */
#ifndef PAIRNET_MARKDOWN_H
#define PAIRNET_MARKDOWN_H

#include "pairnet/base/buf.h"

/* Called for a line that is only an image, ![alt](src), with its src whole
 * (unchecked: the callback decides what it may inline). */
typedef void (*pn_md_image_fn)(pn_buf *b, const char *src, void *ctx);

/* Appends md as HTML: headings (demoted by one level: the page has its own
 * h1), pipe tables, fenced code (closed only by a fence as long as the one
 * that opened it), paragraphs; inline **bold**, `code`, backslash escapes of
 * ASCII punctuation and character references of printable characters.
 * Everything else is text, through pn_esc_html: no tag in md is ever
 * markup. An image line is handed to image (or becomes an <img> with its
 * src attribute-escaped when image is NULL). */
void pn_md_to_html(pn_buf *b, const char *md, pn_md_image_fn image, void *ctx);

#endif
