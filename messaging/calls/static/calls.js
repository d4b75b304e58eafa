// Video calls: the full-screen call overlay that every page has, and the "Video call"
// buttons ([data-call-person]). Signalling goes through the page's one Socket.IO
// connection (events call_* and calls.*, docs/api.md); the media goes from browser to
// browser (WebRTC) and is never recorded.
"use strict";

(() => {
  const overlay = document.getElementById("call-overlay");
  const socket = window.bonVoisin && window.bonVoisin.socket;
  if (!overlay || !socket) {
    return;
  }
  const supported = Boolean(
    window.RTCPeerConnection && navigator.mediaDevices && navigator.mediaDevices.getUserMedia
  );
  const strings = overlay.dataset;
  const find = (selector) => overlay.querySelector(selector);
  const photoSlot = find("[data-call-photo-slot]");
  const nameField = find("[data-call-name]");
  const statusField = find("[data-call-status]");
  const videos = find("[data-call-videos]");
  const remoteVideo = find("[data-call-remote]");
  const localVideo = find("[data-call-local]");
  const micButton = find("[data-call-mic]");
  const cameraButton = find("[data-call-camera]");

  // The call on this screen: {id, role: "caller" | "callee", other, answered, cancelled}.
  let call = null;
  let peer = null;
  let localStream = null;
  let iceServers = [];
  let waitingSignals = []; // arrived before this screen's connection existed
  let waitingCandidates = []; // arrived before the other side's description
  let signalChain = Promise.resolve();
  let ringTimer = null;
  let ringtone = null;
  let inerted = [];
  let focusBefore = null;

  const api = {
    get peer() {
      return peer;
    },
    get call() {
      return call;
    },
  };
  window.bonVoisin.calls = api;

  function fill(template, name) {
    return (template || "").replace("{name}", name);
  }

  function setState(state) {
    overlay.dataset.callState = state;
  }

  function showButtons(which) {
    overlay.querySelectorAll("[data-call-buttons]").forEach((group) => {
      group.hidden = group.dataset.callButtons !== which;
    });
    const first = overlay.querySelector("[data-call-buttons]:not([hidden]) button");
    if (first) {
      first.focus();
    }
  }

  function say(text) {
    statusField.textContent = text;
  }

  function showPhoto(url) {
    photoSlot.replaceChildren();
    if (!url) {
      return;
    }
    const photo = document.createElement("img");
    photo.className = "call-photo";
    photo.alt = "";
    photo.width = 160;
    photo.height = 160;
    photo.dataset.callPhoto = "";
    photo.src = url;
    photoSlot.append(photo);
  }

  function open(person, text, buttons) {
    showPhoto(person.avatar_url);
    nameField.textContent = person.name || "";
    say(text);
    if (overlay.hidden) {
      focusBefore = document.activeElement;
      // The rest of the page cannot be reached while the call screen is up.
      inerted = Array.from(document.body.children).filter((el) => el !== overlay && !el.inert);
      inerted.forEach((el) => {
        el.inert = true;
      });
      overlay.hidden = false;
      document.documentElement.classList.add("call-open");
    }
    showButtons(buttons);
  }

  function close() {
    teardown();
    overlay.hidden = true;
    document.documentElement.classList.remove("call-open");
    inerted.forEach((el) => {
      el.inert = false;
    });
    inerted = [];
    setState("idle");
    if (focusBefore && typeof focusBefore.focus === "function") {
      focusBefore.focus();
    }
  }

  // The end of a call on this screen: what happened, in words, and one button to close.
  function finish(text) {
    teardown();
    setState("ended");
    say(text);
    showButtons("ended");
  }

  function teardown() {
    window.clearTimeout(ringTimer);
    stopRingtone();
    if (peer) {
      peer.ontrack = null;
      peer.onicecandidate = null;
      peer.onconnectionstatechange = null;
      peer.close();
      peer = null;
    }
    if (localStream) {
      localStream.getTracks().forEach((track) => track.stop());
      localStream = null;
    }
    remoteVideo.srcObject = null;
    localVideo.srcObject = null;
    videos.hidden = true;
    waitingSignals = [];
    waitingCandidates = [];
    resetToggles();
    call = null;
  }

  // Ringing: a soft two-tone ring while an incoming call waits (if the tablet lets pages
  // play sound), and a vibration where there is one.
  function startRingtone() {
    stopRingtone();
    try {
      const context = new AudioContext();
      const ring = () => {
        [440, 480].forEach((frequency) => {
          const tone = context.createOscillator();
          const gain = context.createGain();
          gain.gain.value = 0.08;
          tone.frequency.value = frequency;
          tone.connect(gain).connect(context.destination);
          tone.start();
          tone.stop(context.currentTime + 0.9);
        });
        if (navigator.vibrate) {
          navigator.vibrate([400, 200, 400]);
        }
      };
      ring();
      ringtone = { context, timer: window.setInterval(ring, 3000) };
    } catch (error) {
      ringtone = null;
    }
  }

  function stopRingtone() {
    if (ringtone) {
      window.clearInterval(ringtone.timer);
      ringtone.context.close().catch(() => {});
      ringtone = null;
    }
  }

  function getMedia() {
    return navigator.mediaDevices.getUserMedia({
      audio: true,
      video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" },
    });
  }

  function showLocal() {
    localVideo.srcObject = localStream;
    videos.hidden = false;
    localVideo.play().catch(() => {});
  }

  function resetToggles() {
    [micButton, cameraButton].forEach((button) => {
      button.setAttribute("aria-pressed", "false");
    });
    micButton.querySelector("[data-label]").textContent = strings.micOff;
    cameraButton.querySelector("[data-label]").textContent = strings.cameraOff;
  }

  function toggle(button, kind, offLabel, onLabel) {
    if (!localStream) {
      return;
    }
    const turnOff = button.getAttribute("aria-pressed") !== "true";
    localStream.getTracks()
      .filter((track) => track.kind === kind)
      .forEach((track) => {
        track.enabled = !turnOff;
      });
    button.setAttribute("aria-pressed", String(turnOff));
    button.querySelector("[data-label]").textContent = turnOff ? onLabel : offLabel;
  }

  // Signalling ------------------------------------------------------------------------

  function sendSignal(signal) {
    const current = call;
    if (!current || !current.id) {
      return;
    }
    socket.emit("call_signal", { call_id: current.id, signal }, (ack) => {
      if (ack && !ack.ok && call === current && ack.error !== "rate_limited") {
        hangUp(ack.message);
      }
    });
  }

  function createPeer() {
    peer = new RTCPeerConnection({ iceServers });
    localStream.getTracks().forEach((track) => peer.addTrack(track, localStream));
    peer.onicecandidate = (event) => {
      if (event.candidate) {
        sendSignal({ type: "candidate", candidate: event.candidate.toJSON() });
      }
    };
    peer.ontrack = (event) => {
      const [stream] = event.streams;
      if (stream && remoteVideo.srcObject !== stream) {
        remoteVideo.srcObject = stream;
        remoteVideo.play().catch(() => {});
      }
    };
    peer.onconnectionstatechange = () => {
      if (!peer) {
        return;
      }
      overlay.dataset.connection = peer.connectionState;
      if (peer.connectionState === "connected") {
        setState("connected");
        say(strings.connected);
      } else if (peer.connectionState === "failed") {
        hangUp(strings.lost);
      }
    };
    const waiting = waitingSignals;
    waitingSignals = [];
    waiting.forEach(queueSignal);
  }

  async function handleSignal(signal) {
    if (!peer) {
      return;
    }
    if (signal.type === "offer" || signal.type === "answer") {
      await peer.setRemoteDescription({ type: signal.type, sdp: signal.sdp });
      if (signal.type === "offer") {
        const answer = await peer.createAnswer();
        await peer.setLocalDescription(answer);
        sendSignal({ type: "answer", sdp: answer.sdp });
      }
      const candidates = waitingCandidates;
      waitingCandidates = [];
      for (const candidate of candidates) {
        await peer.addIceCandidate(candidate).catch(() => {});
      }
    } else if (signal.type === "candidate") {
      if (!peer.remoteDescription) {
        waitingCandidates.push(signal.candidate);
      } else {
        await peer.addIceCandidate(signal.candidate).catch(() => {});
      }
    }
  }

  function queueSignal(signal) {
    // One after the other: a candidate must wait for the description before it.
    signalChain = signalChain.then(() => handleSignal(signal)).catch(() => {});
  }

  socket.on("calls.call_signal", (data) => {
    if (!call || !data || data.call_id !== call.id) {
      return;
    }
    if (!peer) {
      waitingSignals.push(data.signal);
    } else {
      queueSignal(data.signal);
    }
  });

  // Calling ---------------------------------------------------------------------------

  async function startCall(button) {
    if (call || !supported) {
      return;
    }
    const other = {
      id: Number(button.dataset.callPerson),
      name: button.dataset.callName,
      avatar_url: button.dataset.callAvatar,
    };
    const current = { id: null, role: "caller", other };
    call = current;
    setState("calling");
    open(other, strings.calling, "call");
    try {
      localStream = await getMedia();
    } catch (error) {
      if (call === current) {
        finish(strings.noCamera);
      }
      return;
    }
    if (call !== current) {
      return;
    }
    showLocal();
    const payload = { callee_id: other.id };
    if (button.dataset.callConversation) {
      payload.conversation_id = Number(button.dataset.callConversation);
    }
    socket.emit("call_start", payload, (ack) => {
      if (ack && ack.ok && (call !== current || current.cancelled)) {
        socket.emit("call_hangup", { call_id: ack.call.id }, () => {});
        return;
      }
      if (call !== current) {
        return;
      }
      if (!ack || !ack.ok) {
        finish((ack && ack.message) || strings.ended);
        return;
      }
      current.id = ack.call.id;
      iceServers = ack.ice_servers || [];
      // Nobody answered in time: give up (the server writes the missed call).
      ringTimer = window.setTimeout(() => hangUp(fill(strings.missed, other.name)),
        (ack.ring_seconds || 45) * 1000);
    });
  }

  function hangUp(text) {
    const current = call;
    if (current) {
      if (current.id) {
        socket.emit("call_hangup", { call_id: current.id }, () => {});
      } else {
        current.cancelled = true;
      }
    }
    finish(text || strings.ended);
  }

  socket.on("calls.call_answered", (data) => {
    if (!call || !data || data.id !== call.id) {
      return;
    }
    if (call.role === "callee") {
      if (!call.answered) {
        // Answered on another screen of the same person: this one stops ringing.
        close();
      }
      return;
    }
    window.clearTimeout(ringTimer);
    setState("connecting");
    say(strings.connecting);
    createPeer();
    peer.createOffer()
      .then((offer) => peer.setLocalDescription(offer).then(() => offer))
      .then((offer) => sendSignal({ type: "offer", sdp: offer.sdp }))
      .catch(() => hangUp(strings.lost));
  });

  // Being called -----------------------------------------------------------------------

  function ring(data) {
    if (!supported || call || !data || !data.caller) {
      return;
    }
    call = { id: data.id, role: "callee", other: data.caller, answered: false };
    setState("ringing");
    open(data.caller, strings.incoming, "ringing");
    startRingtone();
    // The server ends a call nobody answered; this only stops the ring if that news is lost.
    ringTimer = window.setTimeout(close, ((data.ring_seconds || 45) + 20) * 1000);
  }

  socket.on("calls.call_ringing", ring);

  async function answer() {
    const current = call;
    if (!current || current.role !== "callee" || current.answered) {
      return;
    }
    current.answered = true;
    window.clearTimeout(ringTimer);
    stopRingtone();
    setState("connecting");
    say(strings.connecting);
    showButtons("call");
    try {
      localStream = await getMedia();
    } catch (error) {
      socket.emit("call_decline", { call_id: current.id }, () => {});
      finish(strings.noCamera);
      return;
    }
    if (call !== current) {
      return;
    }
    showLocal();
    socket.emit("call_answer", { call_id: current.id }, (ack) => {
      if (call !== current) {
        return;
      }
      if (!ack || !ack.ok) {
        finish((ack && ack.message) || strings.ended);
        return;
      }
      iceServers = ack.ice_servers || [];
      createPeer(); // the caller's offer follows (or is already waiting)
    });
  }

  function decline() {
    const current = call;
    if (!current) {
      return;
    }
    socket.emit("call_decline", { call_id: current.id }, () => {});
    close();
  }

  socket.on("calls.call_ended", (data) => {
    if (!call || !data || data.id !== call.id) {
      return;
    }
    const current = call;
    if (current.role === "callee" && !current.answered) {
      close(); // the caller gave up, or it rang out: the conversation keeps a missed call
      return;
    }
    let text = strings.ended;
    if (current.role === "caller" && data.outcome === "declined") {
      text = fill(strings.declined, current.other.name);
    } else if (current.role === "caller" && data.outcome === "missed") {
      text = fill(strings.missed, current.other.name);
    }
    finish(text);
  });

  // After every (re)connect: a call in progress on this screen lost its signalling and the
  // server has ended it; a call ringing for this person rings here too.
  socket.on("disconnect", () => {
    if (call && call.id && (call.role === "caller" || call.answered)) {
      finish(strings.lost);
    }
  });
  socket.on("connect", () => {
    socket.emit("call_catch_up", {}, (ack) => {
      if (ack && ack.ok && !call && ack.ringing && ack.ringing.length) {
        ring(ack.ringing[0]);
      }
    });
  });

  window.addEventListener("pagehide", () => {
    if (call && call.id) {
      socket.emit("call_hangup", { call_id: call.id });
    }
  });

  // Buttons ----------------------------------------------------------------------------

  find("[data-call-answer]").addEventListener("click", answer);
  find("[data-call-decline]").addEventListener("click", decline);
  find("[data-call-hangup]").addEventListener("click", () => hangUp());
  find("[data-call-close]").addEventListener("click", close);
  micButton.addEventListener("click", () =>
    toggle(micButton, "audio", strings.micOff, strings.micOn));
  cameraButton.addEventListener("click", () =>
    toggle(cameraButton, "video", strings.cameraOff, strings.cameraOn));

  // Tab stays inside the call screen while it is up.
  overlay.addEventListener("keydown", (event) => {
    if (event.key !== "Tab") {
      return;
    }
    const buttons = Array.from(overlay.querySelectorAll("button"))
      .filter((button) => !button.closest("[hidden]"));
    if (!buttons.length) {
      return;
    }
    const first = buttons[0];
    const last = buttons[buttons.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  });

  if (supported) {
    document.querySelectorAll("[data-call-person]").forEach((button) => {
      button.hidden = false;
    });
    document.addEventListener("click", (event) => {
      const button = event.target instanceof Element && event.target.closest("[data-call-person]");
      if (button && !overlay.contains(button)) {
        startCall(button);
      }
    });
  }
})();
