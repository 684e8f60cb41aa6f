// The souvenir booth page: plain browser JavaScript, no build step. Talks to the backend only through the
// front-end contract (frontend-config.json, GET /Upload, the presigned upload, MQTT notifications).
"use strict";

const $ = (id) => document.getElementById(id);
/** A guest is never left waiting: past this, the card fails with "Try again" even if the backend never answers. */
const ANSWER_TIMEOUT_MS = 150_000;
const pending = new Map(); // ObjectKey -> { card, topic, timer }, for photos this page uploaded and waits for
let config;
let client;
let ready = false;
let stream;

main().catch((err) => {
  setConnection(false, "Could not start: " + err.message);
});

async function main() {
  const res = await fetch("/frontend-config.json", { cache: "no-store" });
  if (!res.ok) throw new Error("no front-end configuration (" + res.status + ")");
  config = await res.json();
  await connect();
  $("camera-button").addEventListener("click", openCamera);
  $("file-button").addEventListener("click", () => $("file-input").click());
  $("camera-close").addEventListener("click", closeCamera);
  $("shutter").addEventListener("click", takePhoto);
  $("file-input").addEventListener("change", (event) => {
    const file = event.target.files && event.target.files[0];
    event.target.value = "";
    if (file) upload(file, addCard(file));
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !$("camera").hidden) closeCamera();
  });
}

/**
 * Backends that publish on each photo's own topic say so with `broadcast` in their config; there the page hears
 * only its own photos. An older backend has the shared topic only.
 */
function photoTopic(objectKey) {
  if (config.broadcast === undefined) return config.topic;
  const photoId = objectKey
    .split("/")
    .pop()
    .replace(/\.jpg$/, "");
  return config.topic + "/" + photoId;
}

async function connect() {
  const options = { reconnectPeriod: 2000, connectTimeout: 10000, resubscribe: true };
  let url = config.mqttUrl;
  if (config.identityPoolId) {
    // The cloud: IoT Core takes a WebSocket URL signed with the guest's own Cognito credentials, under that identity.
    const session = await cloudSession();
    url = session.url();
    options.clientId = session.identityId;
    options.transformWsUrl = () => session.url(); // a reconnect uses the latest signature
  }
  client = mqtt.connect(url, options);
  client.on("connect", () => {
    // The shared topic is subscribed once, before any upload, so a fast notification is never missed.
    if (config.broadcast !== undefined) return setConnection(true, "Ready");
    client.subscribe(config.topic, { qos: 1 }, (err) => {
      if (err) return setConnection(false, "Could not subscribe to notifications: " + err.message);
      setConnection(true, "Ready");
    });
  });
  client.on("offline", () => setConnection(false, "Offline: reconnecting…"));
  client.on("error", (err) => setConnection(false, "Notification service: " + err.message));
  client.on("message", (_topic, payload) => {
    let note;
    try {
      note = JSON.parse(new TextDecoder().decode(payload));
    } catch {
      return;
    }
    const key = note && note.message && note.message.ObjectKey;
    const waiting = pending.get(key);
    if (!waiting) return; // someone else's photo on a shared topic, or a repeat
    const card = waiting.card;
    if (note.type === "photoProgress") return showStep(card, note.message.step);
    stopWaiting(key);
    if (note.type === "photoProcessed") showDone(card, note.message.URL, key);
    else if (note.type === "photoFailed") showFailed(card, note.message.reason, note.message.hint);
  });
}

/**
 * Unauthenticated Cognito credentials (the identity id is kept, so a guest stays one identity across visits) and
 * the MQTT URL signed with them (SigV4, as IoT Core wants it), refreshed before the credentials expire.
 */
async function cloudSession() {
  const endpoint = config.identityEndpoint || "https://cognito-identity." + config.region + ".amazonaws.com/";
  const call = async (operation, body) => {
    const res = await fetch(endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityService." + operation,
      },
      body: JSON.stringify(body),
    });
    const answer = await res.json().catch(() => ({}));
    if (!res.ok)
      throw new Error("could not sign in to the notification service (" + (answer.message || res.status) + ")");
    return answer;
  };
  const stored = "theme-park-photos.identity." + config.identityPoolId;
  let identityId = localStorage.getItem(stored);
  let answer;
  try {
    if (!identityId) throw new Error("no identity yet");
    answer = await call("GetCredentialsForIdentity", { IdentityId: identityId });
  } catch {
    identityId = (await call("GetId", { IdentityPoolId: config.identityPoolId })).IdentityId;
    localStorage.setItem(stored, identityId);
    answer = await call("GetCredentialsForIdentity", { IdentityId: identityId });
  }
  let signed = await signMqttUrl(config.mqttUrl, config.region, answer.Credentials);
  let expires = answer.Credentials.Expiration * 1000;
  setInterval(async () => {
    try {
      if (expires - Date.now() < 15 * 60_000) {
        answer = await call("GetCredentialsForIdentity", { IdentityId: identityId });
        expires = answer.Credentials.Expiration * 1000;
      }
      signed = await signMqttUrl(config.mqttUrl, config.region, answer.Credentials);
    } catch {
      // The next round tries again; the connection in use is unaffected.
    }
  }, 5 * 60_000);
  return { identityId, url: () => signed };
}

/** A SigV4 presigned wss URL for IoT Core (service iotdevicegateway); the session token is added after signing. */
async function signMqttUrl(mqttUrl, region, credentials) {
  const url = new URL(mqttUrl);
  const amzDate = new Date().toISOString().replace(/[-:]|\.\d{3}/g, "");
  const scope = amzDate.slice(0, 8) + "/" + region + "/iotdevicegateway/aws4_request";
  const query =
    "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" +
    encodeURIComponent(credentials.AccessKeyId + "/" + scope) +
    "&X-Amz-Date=" +
    amzDate +
    "&X-Amz-Expires=86400&X-Amz-SignedHeaders=host";
  const canonical = ["GET", url.pathname, query, "host:" + url.host + "\n", "host", await sha256Hex("")].join("\n");
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, await sha256Hex(canonical)].join("\n");
  let key = new TextEncoder().encode("AWS4" + credentials.SecretKey);
  for (const part of [amzDate.slice(0, 8), region, "iotdevicegateway", "aws4_request"]) key = await hmac(key, part);
  const signature = toHex(await hmac(key, toSign));
  return (
    url.protocol +
    "//" +
    url.host +
    url.pathname +
    "?" +
    query +
    "&X-Amz-Signature=" +
    signature +
    "&X-Amz-Security-Token=" +
    encodeURIComponent(credentials.SessionToken)
  );
}

async function hmac(key, text) {
  const cryptoKey = await crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", cryptoKey, new TextEncoder().encode(text)));
}

async function sha256Hex(text) {
  return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text))));
}

function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function subscribe(topic) {
  return new Promise((resolve, reject) =>
    client.subscribe(topic, { qos: 1 }, (err, granted) => {
      // A broker that refuses a subscription grants QoS 128.
      if (err || (granted && granted[0] && granted[0].qos === 128)) {
        reject(new Error("could not subscribe for this photo's notifications"));
      } else resolve();
    }),
  );
}

function stopWaiting(key) {
  const waiting = pending.get(key);
  if (!waiting) return;
  pending.delete(key);
  clearTimeout(waiting.timer);
  clearInterval(waiting.card.ticker);
  if (waiting.topic !== config.topic) client.unsubscribe(waiting.topic);
}

function setConnection(ok, text) {
  ready = ok;
  const el = $("connection");
  el.textContent = text;
  el.className = "connection " + (ok ? "ok" : "bad");
  $("camera-button").disabled = !ok;
  $("file-button").disabled = !ok;
}

async function openCamera() {
  hideNotice();
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return notice("The camera is not available on this page (it needs https or localhost). Choose a photo instead.");
  }
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: "user", width: { ideal: 1920 }, height: { ideal: 1080 } },
      audio: false,
    });
  } catch (err) {
    return notice("Could not open the camera (" + (err.name || err.message) + "). Choose a photo instead.");
  }
  $("video").srcObject = stream;
  $("camera").hidden = false;
  $("camera").scrollIntoView({ block: "nearest" });
  $("shutter").focus();
}

function closeCamera() {
  if (stream) stream.getTracks().forEach((t) => t.stop());
  stream = undefined;
  $("camera").hidden = true;
  $("camera-button").focus();
}

function takePhoto() {
  const video = $("video");
  if (!video.videoWidth) return;
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext("2d").drawImage(video, 0, 0);
  closeCamera();
  canvas.toBlob(
    (blob) => (blob ? upload(blob, addCard(blob)) : notice("Could not capture the photo; please try again.")),
    "image/jpeg",
    0.92,
  );
}

// The bytes go as they are (a chosen PNG or HEIC too): the backend reads what it can and says photoFailed otherwise.
async function upload(blob, card) {
  if (!ready) return showFailed(card, "not connected to the notification service yet; please wait a moment");
  hideNotice();
  let key;
  try {
    showStep(card, "upload", "Getting an upload link…");
    const res = await fetch(config.uploadUrl, { cache: "no-store" });
    if (!res.ok) throw new Error("the upload service answered " + res.status);
    const ticket = await res.json();
    key = ticket.photoFilename;
    card.dataset.key = key;
    const topic = photoTopic(key);
    // Subscribed before the upload, so even the fastest answer is heard.
    if (topic !== config.topic) await subscribe(topic);
    pending.set(key, {
      card,
      topic,
      timer: setTimeout(() => {
        stopWaiting(key);
        showFailed(card, "no answer from the photo service in " + ANSWER_TIMEOUT_MS / 60000 + " minutes");
      }, ANSWER_TIMEOUT_MS),
    });
    showStep(card, "upload", "Uploading…");
    await sendPhoto(ticket, blob, (fraction) =>
      showStep(card, "upload", "Uploading… " + Math.round(fraction * 100) + " %"),
    );
    if (pending.has(key)) showStep(card, "cutout");
  } catch (err) {
    if (key) stopWaiting(key);
    showFailed(card, "the upload failed: " + err.message);
  }
}

/**
 * The bounded form (a presigned POST whose policy limits the key, type and size) when the backend offers one;
 * else the presigned PUT. XMLHttpRequest rather than fetch: it reports upload progress, which matters on a phone.
 */
function sendPhoto(ticket, blob, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    let body;
    if (ticket.uploadForm && ticket.uploadForm.url && ticket.uploadForm.fields) {
      body = new FormData();
      for (const [name, value] of Object.entries(ticket.uploadForm.fields)) body.append(name, value);
      // S3 reads every field before the file: it must be last.
      body.append("file", blob.type === "image/jpeg" ? blob : new Blob([blob], { type: "image/jpeg" }), "photo.jpg");
      xhr.open("POST", ticket.uploadForm.url);
    } else {
      body = blob;
      xhr.open("PUT", ticket.uploadURL);
      // The URL is signed for image/jpeg: the Content-Type must match it.
      xhr.setRequestHeader("Content-Type", "image/jpeg");
    }
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    };
    xhr.onload = () =>
      xhr.status >= 200 && xhr.status < 300
        ? resolve()
        : reject(new Error("the upload was refused (" + xhr.status + ")"));
    xhr.onerror = () => {
      // On `npm start -- --host` the upload goes to S3's own address, whose self-signed certificate the browser
      // must have been told to accept once; it cannot say so itself, so the page does.
      const target = new URL(ticket.uploadForm ? ticket.uploadForm.url : ticket.uploadURL);
      const selfHosted = target.host !== location.host && target.hostname === location.hostname;
      reject(
        new Error(
          selfHosted
            ? "could not reach " + target.origin + " (open it once in this browser and accept its certificate)"
            : "the network dropped",
        ),
      );
    };
    xhr.send(body);
  });
}

const STEP_TEXT = {
  upload: "Uploading…",
  cutout: "Cutting out the green screen…",
  compose: "Placing you in the park…",
};

/** Shows which step the photo is in; steps before it are done. The seconds are for the eye, not the screen reader. */
function showStep(card, step, text) {
  if (!(step in STEP_TEXT)) return;
  const order = Object.keys(STEP_TEXT);
  card.querySelectorAll(".steps li").forEach((li) => {
    const index = order.indexOf(li.dataset.step);
    li.classList.toggle("done", index < order.indexOf(step));
    li.classList.toggle("current", li.dataset.step === step);
    if (li.dataset.step === step) li.setAttribute("aria-current", "step");
    else li.removeAttribute("aria-current");
  });
  setStatus(card, text || STEP_TEXT[step]);
  if (step !== "upload" && !card.ticker) {
    const started = Date.now();
    card.ticker = setInterval(() => {
      const seconds = Math.round((Date.now() - started) / 1000);
      card.querySelector(".elapsed").textContent = seconds < 30 ? seconds + " s" : seconds + " s, longer than usual";
    }, 1000);
  }
}

function addCard(blob) {
  const card = $("photo-template").content.firstElementChild.cloneNode(true);
  const img = card.querySelector(".image");
  img.alt = "Your photo, being made into a souvenir";
  img.onerror = () => card.querySelector(".frame").classList.add("no-image"); // e.g. a HEIC file this browser cannot show
  img.src = URL.createObjectURL(blob);
  card.querySelector(".try-again").addEventListener("click", () => {
    resetCard(card);
    card.focus();
    upload(blob, card);
  });
  $("photos").prepend(card);
  card.scrollIntoView({ block: "nearest" });
  return card;
}

function resetCard(card) {
  card.className = "photo pending";
  delete card.dataset.key;
  card.ticker = undefined;
  card.querySelector(".elapsed").textContent = "";
  card.querySelector(".retry").hidden = true;
}

function showDone(card, url, key) {
  card.classList.remove("pending");
  card.classList.add("done");
  const img = card.querySelector(".image");
  img.onerror = null;
  card.querySelector(".frame").classList.remove("no-image");
  img.alt = "Your souvenir photo";
  img.classList.add("souvenir");
  img.src = url;
  card.querySelectorAll(".steps li").forEach((li) => {
    li.classList.add("done");
    li.classList.remove("current");
    li.removeAttribute("aria-current");
  });
  card.querySelector(".elapsed").textContent = "";
  setStatus(card, "Your souvenir is ready!");
  const download = card.querySelector(".download");
  download.href = url;
  download.setAttribute("download", "souvenir-" + key.split("/").pop());
  const share = card.querySelector(".share");
  if (navigator.share) {
    share.hidden = false;
    share.onclick = () => navigator.share({ title: "My theme park souvenir", url }).catch(() => undefined);
  }
  card.querySelector(".links").hidden = false;
  card.scrollIntoView({ block: "nearest" });
}

function showFailed(card, reason, hint) {
  clearInterval(card.ticker);
  card.classList.remove("pending");
  card.classList.add("failed");
  card.querySelector(".elapsed").textContent = "";
  setStatus(
    card,
    "Sorry, this photo could not be made into a souvenir: " +
      (reason || "unknown reason") +
      "." +
      (hint ? " " + hint : ""),
  );
  card.querySelector(".retry").hidden = false;
  card.scrollIntoView({ block: "nearest" });
}

function setStatus(card, text) {
  card.querySelector(".status-text").textContent = text;
}

function notice(text) {
  const el = $("notice");
  el.textContent = text;
  el.hidden = false;
}

function hideNotice() {
  $("notice").hidden = true;
}
