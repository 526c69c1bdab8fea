/* Markdown (table1.md, the effects section) as HTML for index.html. */
#ifndef PAIRNET_MARKDOWN_H
#define PAIRNET_MARKDOWN_H

#include "pairnet/report/buf.h"

/* Called for a line that is only an image, ![alt](src), with its src. */
typedef void (*pn_md_image_fn)(pn_buf *b, const char *src, void *ctx);

/* Appends md as HTML: headings (demoted by one level: the page has its own
 * h1), pipe tables, fenced code, paragraphs; inline **bold**, `code` and
 * backslash escapes. Everything else is text, XML-escaped. An image line is
 * handed to image (or becomes an <img> when image is NULL). */
void pn_md_to_html(pn_buf *b, const char *md, pn_md_image_fn image, void *ctx);

#endif
