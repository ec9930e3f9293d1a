// A Duktape plugin script for tests: it reports the SDP the core hands to plugins (the
// anonymized one) as an event, and pushes back, as its own answer, the SDP a request
// carries in "answer", so that the core's merge of a known plugin SDP can be observed.

var tasks = [];

function init(config) {}
function destroy() {}
function createSession(id) {}
function destroySession(id) {}
function querySession(id) { return null; }
function setupMedia(id) {}
function hangupMedia(id) {}

function handleMessage(id, tr, msg, jsep) {
	tasks.push({ id: id, tr: tr, msg: JSON.parse(msg), jsep: jsep ? JSON.parse(jsep) : null });
	pokeScheduler();
	return 1;
}

function resumeScheduler() {
	var pending = tasks;
	tasks = [];
	for(var i = 0; i < pending.length; i++) {
		var t = pending[i];
		var event = { probe: "seen" };
		if(t.jsep) {
			event.type = t.jsep.type;
			event.sdp = t.jsep.sdp;
		}
		var reply = t.msg.answer ? JSON.stringify({ type: "answer", sdp: t.msg.answer }) : null;
		pushEvent(t.id, t.tr, JSON.stringify(event), reply);
	}
}
