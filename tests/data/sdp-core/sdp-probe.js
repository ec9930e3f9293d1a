// A Duktape plugin script for tests: it reports the SDP the core hands to plugins (the
// anonymized one) as an event, and pushes back, as its own answer or offer, the SDP a
// request carries in "answer" or "offer", so that the core's merge of a known plugin SDP
// can be observed.

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
		var reply = null;
		if(t.msg.answer)
			reply = JSON.stringify({ type: "answer", sdp: t.msg.answer });
		else if(t.msg.offer)
			reply = JSON.stringify({ type: "offer", sdp: t.msg.offer });
		pushEvent(t.id, t.tr, JSON.stringify(event), reply);
	}
}
