/* Uses a recorder the way plugins do: through record.h, reading rc->filename, and taking
 * and dropping a reference with the same atomic operations the refcount macros inline. */
#include <stdio.h>
#include <record.h>

int recorder_module_run(const char *dir, char *out, size_t outlen) {
	janus_recorder *rc = janus_recorder_create_full(dir, "vp8", "profile-id=0", "from-c");
	if(rc == NULL)
		return -100;
	if(rc->type != JANUS_RECORDER_VIDEO || rc->header || !rc->writable || rc->ref.count != 1)
		return -101;
	/* A plugin keeping the recorder around for a while. */
	g_atomic_int_inc(&rc->ref.count);
	char packet[20] = { (char)0x80, 96, 0x10, 0x00, 0, 0, 0x10, 0, 0, 0, 0, 7, 0x10, 0, 0x9d, 0x01, 0x2a, 0, 0, 0 };
	for(int i = 0; i < 10; i++) {
		if(janus_recorder_save_frame(rc, packet, sizeof(packet)) != 0)
			return -102;
		packet[3]++;
	}
	/* The caller's buffer is left as it was (seq 0x1000 + 10). */
	if(packet[2] != 0x10 || packet[3] != 10)
		return -103;
	if(!rc->header || rc->context.last_seq != 10 || rc->started == 0)
		return -104;
	if(janus_recorder_close(rc) != 0 || rc->writable)
		return -105;
	janus_recorder_destroy(rc);
	/* Still referenced by us: the struct and its strings are alive. */
	if(!rc->destroyed || rc->ref.count != 1)
		return -106;
	snprintf(out, outlen, "%s|%s|%s|%s", rc->filename, rc->dir, rc->codec, rc->fmtp);
	if(g_atomic_int_dec_and_test(&rc->ref.count))
		rc->ref.free(&rc->ref);
	return 0;
}
