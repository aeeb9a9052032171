/* core/uuid.h - random (version 4) UUIDs: a query's id (engine/query.c)
 * and the names of the files a file sink writes (io/sink_file.c). */
#ifndef SL_UUID_H
#define SL_UUID_H

/* A new random UUID as 36 characters and a NUL. */
void sl_uuid_v4(char out[37]);

#endif
