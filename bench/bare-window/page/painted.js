// Two frames after load: the second callback runs once the first frame has been painted.
// Reports the same timeline fields as the app's probe (ms since the page's time origin).
window.addEventListener('load', function () {
  requestAnimationFrame(function () {
    requestAnimationFrame(function () {
      var detail =
        'bare | origin=' + performance.timeOrigin.toFixed(1) + ' painted=' + performance.now().toFixed(0);
      window.__TAURI_INTERNALS__.invoke('painted', { detail: detail });
    });
  });
});
