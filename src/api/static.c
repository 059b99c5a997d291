/* The staff console's files and the OpenAPI document. The console folder
 * (server.static_dir) is read once at start-up into memory: it is small (< 150 kB), and
 * serving it then never touches the disk from an event loop. */
#include <dirent.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "abipraya/core/log.h"
#include "abipraya/core/text.h"
#include "api_internal.h"

#define MAX_FILES     256
#define MAX_FILE_SIZE (2 * 1024 * 1024)

extern const unsigned char openapi_yaml[];
extern const size_t openapi_yaml_len;

struct static_file {
	char *path; /* "/app.js" */
	char *data;
	size_t len;
	const char *type;
	char etag[24];
};

static struct static_file files[MAX_FILES];
static size_t nfiles;

static const char csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
                          "base-uri 'none'; form-action 'self'";

static const char *content_type(const char *name)
{
	static const char *const types[][2] = {
	        {".html", "text/html; charset=utf-8"},
	        {".js", "text/javascript; charset=utf-8"},
	        {".mjs", "text/javascript; charset=utf-8"},
	        {".css", "text/css; charset=utf-8"},
	        {".svg", "image/svg+xml"},
	        {".png", "image/png"},
	        {".ico", "image/x-icon"},
	        {".json", "application/json"},
	        {".webmanifest", "application/manifest+json"},
	        {".txt", "text/plain; charset=utf-8"},
	};
	const char *dot = strrchr(name, '.');
	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i][0]) == 0)
			return types[i][1];
	return NULL;
}

/* A strong validator: the first 64 bits of the SHA-256 of the content. */
static void make_etag(const void *data, size_t len, char etag[24])
{
	unsigned char digest[32];
	char hex[17];

	SHA256(data, len, digest);
	text_hex(digest, 8, hex);
	snprintf(etag, 24, "\"%s\"", hex);
}

static void load_file(const char *dir, const char *rel)
{
	char full[1024];
	struct stat st;
	const char *type = content_type(rel);

	snprintf(full, sizeof(full), "%s/%s", dir, rel);
	if (!type || nfiles == MAX_FILES || stat(full, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > MAX_FILE_SIZE)
		return;
	FILE *f = fopen(full, "rb");
	if (!f)
		return;
	struct static_file *sf = &files[nfiles];
	sf->data = xmalloc((size_t)st.st_size + 1);
	sf->len = fread(sf->data, 1, (size_t)st.st_size, f);
	fclose(f);
	sf->path = xasprintf("/%s", rel);
	sf->type = type;
	make_etag(sf->data, sf->len, sf->etag);
	nfiles++;
}

/* The folder and one level of subfolders; hidden names are left out. */
static void load_dir(const char *root, const char *sub, int depth)
{
	char path[1024], rel[512];
	struct dirent *e;

	snprintf(path, sizeof(path), "%s%s%s", root, sub ? "/" : "", sub ? sub : "");
	DIR *d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(rel, sizeof(rel), "%s%s%s", sub ? sub : "", sub ? "/" : "", e->d_name);
		if (e->d_type == DT_DIR && depth == 0)
			load_dir(root, rel, 1);
		else
			load_file(root, rel);
	}
	closedir(d);
}

void api_static_load(const char *dir)
{
	if (!dir || !*dir)
		return;
	load_dir(dir, NULL, 0);
	if (nfiles == 0)
		log_warn("no console files in \"%s\", ignoring", dir);
}

void api_static_unload(void)
{
	for (size_t i = 0; i < nfiles; i++) {
		free(files[i].path);
		free(files[i].data);
	}
	nfiles = 0;
}

static void reply_file(struct http_request *req, const char *type, const char *etag,
                       const char *data, size_t len)
{
	const char *inm = http_request_header(req, "If-None-Match");

	http_add_header(req, "ETag", etag);
	http_add_header(req, "Cache-Control", "no-cache");
	if (inm && strcmp(inm, etag) == 0) {
		http_reply(req, 304, NULL, NULL, 0);
		return;
	}
	http_reply(req, 200, type, data, len);
}

bool api_static_serve(struct http_request *req)
{
	const char *path = strcmp(req->path, "/") == 0 ? "/index.html" : req->path;

	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0)
		return false;
	for (size_t i = 0; i < nfiles; i++) {
		if (strcmp(files[i].path, path) == 0) {
			/* the page's own policy; the other security headers are the HTTP layer's */
			http_add_header(req, "Content-Security-Policy", csp);
			reply_file(req, files[i].type, files[i].etag, files[i].data, files[i].len);
			return true;
		}
	}
	return false;
}

void api_openapi_handler(struct http_request *req, struct api_worker *w,
                         const struct api_route *route, const struct router_match *m)
{
	static char etag[24];

	if (!etag[0]) /* the same in every worker: a benign race on identical bytes */
		make_etag(openapi_yaml, openapi_yaml_len, etag);
	reply_file(req, "application/yaml; charset=utf-8", etag, (const char *)openapi_yaml,
	           openapi_yaml_len);
}
