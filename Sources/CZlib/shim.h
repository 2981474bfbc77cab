// zlib for reading gzip-compressed corpora (.jsonl.gz) in-process.
#include <zlib.h>
