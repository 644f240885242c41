// Two frames after load: the second callback runs once the first frame has been painted.
window.addEventListener('load', function () {
  requestAnimationFrame(function () {
    requestAnimationFrame(function () {
      window.__TAURI_INTERNALS__.invoke('painted', { detail: 'bare' });
    });
  });
});
