// The page's Live tab: the microphone (or a wav played as if spoken) in, the talking portrait out.
// Runs as the tab's HTML block's js_on_load (`element` is the block). Transport: WebRTC (the
// server's /v1/live/offer, aiortc) or, where WebRTC is missing or fails, the WebSocket /v1/live,
// whose frames come as JPEGs with their own speech (docs/live.md). What happened is kept in
// window.emofaceLive for anyone measuring: each frame's arrival and, over the WebSocket, the
// moment the speech it shows was sent.
(() => {
  const $ = (id) => element.querySelector(`#${id}`);
  const RATE = 16000, CHUNK = 320;  // 20 ms of 16-bit mono PCM a message
  const stats = (window.emofaceLive = { frames: [], notices: [], errors: [], state: "idle" });
  let stopping = null;

  const say = (text) => { $("live-status").textContent = text; };
  const query = (id) => {
    const q = new URLSearchParams({ portrait: id, emotion: $("live-emotion").value,
                                    intensity: $("live-intensity").value, size: "512" });
    return q.toString();
  };

  async function portraitId() {
    const file = $("live-portrait").files[0];
    if (!file) return element.querySelector("[data-example]").dataset.example;
    const form = new FormData();
    form.append("image", file, file.name);
    const r = await fetch("/v1/portraits", { method: "POST", body: form });
    const body = await r.json();
    if (!r.ok) throw new Error(body.detail || r.statusText);
    return body.portrait;
  }

  // The voice as a MediaStream in `ctx`: the microphone, or the chosen file played into one.
  async function voice(ctx) {
    if ($("live-source").value === "mic") {
      const mic = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, channelCount: 1 } });
      stats.voiceStart = performance.now();
      return { stream: mic, node: ctx.createMediaStreamSource(mic), stop: () => mic.getTracks().forEach((t) => t.stop()) };
    }
    const file = $("live-wav").files[0];
    if (!file) throw new Error("pick a wav file to play, or choose the microphone");
    const buffer = await ctx.decodeAudioData(await file.arrayBuffer()).catch(() => {
      throw new Error(`${file.name}: not audio this browser can play; pick a wav, mp3 or ogg file`);
    });
    const player = ctx.createBufferSource();
    player.buffer = buffer;
    const out = ctx.createMediaStreamDestination();
    player.connect(out);
    stats.voiceStart = performance.now() + 1000 * Math.max(0, ctx.baseLatency || 0);
    player.start();
    return { stream: out.stream, node: player, stop: () => player.stop() };
  }

  async function overWebRTC(id) {
    const ctx = new AudioContext();
    const v = await voice(ctx).catch((err) => { ctx.close(); throw err; });
    const pc = new RTCPeerConnection();
    v.stream.getAudioTracks().forEach((t) => pc.addTrack(t, v.stream));
    pc.addTransceiver("video", { direction: "recvonly" });
    const control = pc.createDataChannel("control");
    control.onmessage = (e) => note(JSON.parse(e.data));
    const shown = new MediaStream();
    const video = $("live-video");
    pc.ontrack = (e) => { shown.addTrack(e.track); video.srcObject = shown; };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "connected") stats.connectedAt = performance.now();
      if (["failed", "closed"].includes(pc.connectionState) && stats.state === "live") finish("the connection ended");
    };
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((ok) => {  // the server takes the whole offer, candidates and all
      if (pc.iceGatheringState === "complete") return ok();
      pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && ok();
      setTimeout(ok, 2000);
    });
    const r = await fetch(`/v1/live/offer?${query(id)}`, { method: "POST", headers: { "Content-Type": "application/json" },
                                                         body: JSON.stringify(pc.localDescription) });
    const answer = await r.json();
    if (!r.ok) { pc.close(); v.stop(); ctx.close(); throw new Error(answer.detail || r.statusText); }
    await pc.setRemoteDescription(answer);
    $("live-canvas").hidden = true; video.hidden = false;
    const seen = (now, meta) => {
      stats.frames.push({ arrival: meta.receiveTime || now, shown: meta.expectedDisplayTime || now,
                          rtp: meta.rtpTimestamp, width: meta.width, height: meta.height });
      if (stats.frames.length === 1) { stats.firstFrameAt = now; say("Live (WebRTC): speak to the portrait."); }
      if (stats.state === "live") video.requestVideoFrameCallback(seen);
    };
    video.requestVideoFrameCallback(seen);
    video.play().catch(() => {});
    return { emotion: (m) => control.readyState === "open" && control.send(JSON.stringify(m)),
             stop: () => { try { control.send(JSON.stringify({ end: true })); } catch (e) { /* closed already */ }
                           setTimeout(() => pc.close(), 600); v.stop(); ctx.close(); } };
  }

  async function overWebSocket(id) {
    const ctx = new AudioContext({ sampleRate: RATE });
    const proto = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${proto}://${location.host}/v1/live?${query(id)}`);
    ws.binaryType = "arraybuffer";
    const ready = await new Promise((ok, fail) => {
      ws.onmessage = (e) => { const m = JSON.parse(e.data); m.ready ? ok(m.ready) : fail(new Error(m.error)); };
      ws.onclose = (e) => fail(new Error(e.reason || "the server closed the session"));
    });
    // A voice that cannot be had ends the session at once: its seat is free for the next Start.
    const v = await voice(ctx).catch((err) => { ws.close(); ctx.close(); throw err; });
    // The tap: 128-sample blocks out of the audio thread, sent 20 ms at a time as 16-bit PCM.
    const tap = "class Tap extends AudioWorkletProcessor { process(i) { if (i[0][0]) this.port.postMessage(i[0][0].slice(0)); return true; } }" +
                " registerProcessor('emoface-tap', Tap);";
    await ctx.audioWorklet.addModule(URL.createObjectURL(new Blob([tap], { type: "text/javascript" })));
    const node = new AudioWorkletNode(ctx, "emoface-tap");
    const mute = ctx.createGain(); mute.gain.value = 0;
    v.node.connect(node); node.connect(mute); mute.connect(ctx.destination);
    const sent = [];  // [samples sent so far, when]
    let pending = new Int16Array(0), total = 0;
    node.port.onmessage = (e) => {
      const s = e.data, more = new Int16Array(pending.length + s.length);
      more.set(pending);
      for (let k = 0; k < s.length; k++) more[pending.length + k] = Math.max(-32768, Math.min(32767, s[k] * 32768));
      pending = more;
      while (pending.length >= CHUNK && ws.readyState === 1) {
        ws.send(pending.slice(0, CHUNK).buffer);
        pending = pending.slice(CHUNK); total += CHUNK;
        sent.push([total, performance.now()]);
      }
    };
    const canvas = $("live-canvas"), draw = canvas.getContext("2d");
    canvas.width = ready.width; canvas.height = ready.height;
    canvas.hidden = false; $("live-video").hidden = true;
    let base = null;  // playout clock: frame i sounds and shows at base + i / fps
    const perFrame = RATE / ready.fps;
    ws.onmessage = async (e) => {
      if (typeof e.data === "string") return note(JSON.parse(e.data));
      const arrival = performance.now(), view = new DataView(e.data);
      const index = view.getUint32(4), size = view.getUint32(12);
      const need = (index + 1) * perFrame;  // the last sample this frame shows
      const from = sent.find(([n]) => n >= need);
      stats.frames.push({ index, arrival, sentAt: from ? from[1] : null });
      if (stats.frames.length === 1) { stats.firstFrameAt = arrival; say("Live (WebSocket): speak to the portrait."); }
      const image = await createImageBitmap(new Blob([new Uint8Array(e.data, 16, size)], { type: "image/jpeg" }));
      const pcm = new Int16Array(e.data.slice(16 + size));
      const sound = ctx.createBuffer(1, pcm.length, RATE), ch = sound.getChannelData(0);
      for (let k = 0; k < pcm.length; k++) ch[k] = pcm[k] / 32768;
      if (base === null || base + index / ready.fps < ctx.currentTime) base = ctx.currentTime + 0.06 - index / ready.fps;
      const at = base + index / ready.fps, play = ctx.createBufferSource();
      play.buffer = sound; play.connect(ctx.destination); play.start(at);
      setTimeout(() => draw.drawImage(image, 0, 0), Math.max(0, (at - ctx.currentTime) * 1000));
    };
    ws.onclose = (e) => { if (stats.state === "live") finish(e.reason || "the server closed the session"); };
    return { emotion: (m) => ws.readyState === 1 && ws.send(JSON.stringify(m)),
             stop: () => { if (ws.readyState === 1) ws.send(JSON.stringify({ end: true })); v.stop();
                           setTimeout(() => ctx.close(), 1000); } };
  }

  function note(m) {
    if (m.error) { stats.errors.push(m.error); say(`The server said: ${m.error}`); }
    if (m.notice) { stats.notices.push(m.notice); say(`Note: ${m.notice}`); }
  }

  function finish(why) {
    stats.state = "stopped";
    if (stopping) stopping();
    stopping = null;
    $("live-start").disabled = false; $("live-stop").disabled = true;
    say(why ? `Stopped: ${why}.` : "Stopped.");
  }

  $("live-source").onchange = () => { $("live-wav").hidden = $("live-source").value === "mic"; };
  $("live-start").onclick = async () => {
    $("live-start").disabled = true;
    Object.assign(stats, { frames: [], notices: [], errors: [], state: "starting", startedAt: performance.now() });
    say("Reading the portrait...");
    try {
      const id = await portraitId();
      const want = $("live-transport").value;
      let link = null;
      if (want !== "websocket" && window.RTCPeerConnection) {
        try { link = await overWebRTC(id); stats.transport = "webrtc"; } catch (err) {
          if (want === "webrtc") throw err;
          stats.fallback = String(err.message || err);
        }
      }
      if (!link) { link = await overWebSocket(id); stats.transport = "websocket"; }
      stats.state = "live"; stopping = link.stop;
      stats.emotion = link.emotion;
      $("live-stop").disabled = false;
    } catch (err) {
      stats.state = "failed"; stats.errors.push(String(err.message || err));
      $("live-start").disabled = false;
      say(`Could not start: ${err.message || err}`);
    }
  };
  $("live-stop").onclick = () => finish();
  const emotion = () => stats.emotion && stats.emotion({ emotion: $("live-emotion").value,
                                                         intensity: Number($("live-intensity").value) });
  $("live-emotion").onchange = emotion;
  $("live-intensity").onchange = emotion;
})();
