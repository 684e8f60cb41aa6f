// The souvenir booth page: plain browser JavaScript, no build step. Talks to the backend only through the
// front-end contract (frontend-config.json, GET /Upload, PUT to the presigned URL, MQTT notifications).
"use strict";

const $ = (id) => document.getElementById(id);
const pending = new Map(); // ObjectKey -> card, for photos this page uploaded and still waits for
let config;
let ready = false;
let stream;

main().catch((err) => {
  setConnection(false, "Could not start: " + err.message);
});

async function main() {
  const res = await fetch("/frontend-config.json", { cache: "no-store" });
  if (!res.ok) throw new Error("no front-end configuration (" + res.status + ")");
  config = await res.json();
  connect();
  $("camera-button").addEventListener("click", openCamera);
  $("camera-close").addEventListener("click", closeCamera);
  $("shutter").addEventListener("click", takePhoto);
  $("file-input").addEventListener("change", (event) => {
    const file = event.target.files && event.target.files[0];
    event.target.value = "";
    if (file) upload(file);
  });
}

// Subscribed before any upload, so a fast notification is never missed.
function connect() {
  const client = mqtt.connect(config.mqttUrl, { reconnectPeriod: 2000, connectTimeout: 10000 });
  client.on("connect", () => {
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
    const card = pending.get(key);
    if (!card) return; // someone else's photo on the same topic
    pending.delete(key);
    if (note.type === "photoProcessed") showDone(card, note.message.URL, key);
    else if (note.type === "photoFailed") showFailed(card, note.message.reason);
  });
}

function setConnection(ok, text) {
  ready = ok;
  const el = $("connection");
  el.textContent = text;
  el.className = "connection " + (ok ? "ok" : "bad");
  $("camera-button").disabled = !ok;
  $("file-input").disabled = !ok;
  $("file-label").classList.toggle("disabled", !ok);
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
}

function closeCamera() {
  if (stream) stream.getTracks().forEach((t) => t.stop());
  stream = undefined;
  $("camera").hidden = true;
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
    (blob) => (blob ? upload(blob) : notice("Could not capture the photo; please try again.")),
    "image/jpeg",
    0.92,
  );
}

// The bytes go as they are (a chosen PNG or HEIC too): the backend reads what it can and says photoFailed otherwise.
async function upload(blob) {
  if (!ready) return notice("Not connected to the notification service yet; please wait a moment.");
  hideNotice();
  const card = addCard(blob);
  try {
    setStatus(card, "Getting an upload link…");
    const res = await fetch(config.uploadUrl);
    if (!res.ok) throw new Error("the upload service answered " + res.status);
    const { uploadURL, photoFilename } = await res.json();
    card.dataset.key = photoFilename;
    pending.set(photoFilename, card);
    setStatus(card, "Uploading…");
    // The URL is signed for image/jpeg: the Content-Type must match it.
    const put = await fetch(uploadURL, { method: "PUT", body: blob, headers: { "Content-Type": "image/jpeg" } });
    if (!put.ok) throw new Error("the upload was refused (" + put.status + ")");
    waitForSouvenir(card);
  } catch (err) {
    if (card.dataset.key) pending.delete(card.dataset.key);
    showFailed(card, "Upload failed: " + err.message);
  }
}

function waitForSouvenir(card) {
  const started = Date.now();
  const tick = () => {
    if (!card.classList.contains("pending")) return;
    const seconds = Math.round((Date.now() - started) / 1000);
    setStatus(
      card,
      seconds < 30
        ? "Removing the green screen and adding the park… " + seconds + " s"
        : "Still working on it… " + seconds + " s (it is taking longer than usual)",
    );
    setTimeout(tick, 1000);
  };
  tick();
}

function addCard(blob) {
  const card = $("photo-template").content.firstElementChild.cloneNode(true);
  const img = card.querySelector(".image");
  const preview = URL.createObjectURL(blob);
  img.alt = "Your photo, being processed";
  img.onerror = () => card.querySelector(".frame").classList.add("no-image"); // e.g. a HEIC file this browser cannot show
  img.src = preview;
  $("photos").prepend(card);
  card.scrollIntoView({ behavior: "smooth", block: "nearest" });
  return card;
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
  setStatus(card, "Your souvenir is ready!");
  const links = card.querySelector(".links");
  const download = card.querySelector(".download");
  download.href = url;
  download.setAttribute("download", "souvenir-" + key);
  const share = card.querySelector(".share");
  if (navigator.share) {
    share.hidden = false;
    share.onclick = () => navigator.share({ title: "My theme park souvenir", url }).catch(() => undefined);
  }
  links.hidden = false;
}

function showFailed(card, reason) {
  card.classList.remove("pending");
  card.classList.add("failed");
  setStatus(card, "Sorry, this photo could not be made into a souvenir: " + (reason || "unknown reason") + ".");
}

function setStatus(card, text) {
  card.querySelector(".status").textContent = text;
}

function notice(text) {
  const el = $("notice");
  el.textContent = text;
  el.hidden = false;
}

function hideNotice() {
  $("notice").hidden = true;
}
