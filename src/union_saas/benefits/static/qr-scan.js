/* The phone-camera scanner: [data-qr-scan] holds a <video>, a start button and the form whose `code`
   field receives what the camera reads (then the form is sent). Uses the browser's BarcodeDetector;
   where there is none, the field stays for a hand scanner or typing. No inline script (CSP). */
(function () {
  "use strict";
  var box = document.querySelector("[data-qr-scan]");
  if (!box) { return; }
  var video = box.querySelector("video");
  var start = box.querySelector("[data-qr-start]");
  var note = box.querySelector("[data-qr-note]");
  var form = document.getElementById(box.getAttribute("data-qr-scan"));
  var field = form && form.querySelector("[name=code]");
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    if (start) { start.classList.add("hidden"); }
    if (note) { note.textContent = box.getAttribute("data-unsupported"); note.classList.remove("hidden"); }
    return;
  }
  var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
  var stream = null;
  function stop() {
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    video.classList.add("hidden");
  }
  function tick() {
    if (!stream) { return; }
    detector.detect(video).then(function (codes) {
      if (codes.length && field) {
        field.value = codes[0].rawValue;
        stop();
        form.submit();
        return;
      }
      window.requestAnimationFrame(tick);
    }).catch(function () { window.requestAnimationFrame(tick); });
  }
  start.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.classList.remove("hidden");
      video.play();
      window.requestAnimationFrame(tick);
    }).catch(function () {
      if (note) { note.textContent = box.getAttribute("data-denied"); note.classList.remove("hidden"); }
    });
  });
  if (box.hasAttribute("data-autostart")) { start.click(); }
})();
