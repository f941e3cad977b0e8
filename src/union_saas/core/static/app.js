// The pages' few behaviours, from this file (the Content-Security-Policy allows no inline script or style).
(() => {
  // A form with data-confirm asks before it is sent (revoking, archiving, cancelling).
  document.addEventListener("submit", (event) => {
    const question = event.target.dataset.confirm;
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // A <select data-autosubmit> sends its form when changed (filters).
  document.addEventListener("change", (event) => {
    if (event.target.matches("select[data-autosubmit]") && event.target.form) event.target.form.submit();
  });

  // Progress bars: <span data-progress="42"> is drawn 42% wide.
  const drawBars = (root) => {
    root.querySelectorAll("[data-progress]").forEach((bar) => {
      bar.style.width = `${Math.max(0, Math.min(100, parseInt(bar.dataset.progress, 10) || 0))}%`;
    });
  };

  // A job's card (#job, data-status) reloads itself every second until the job has finished or failed.
  const pollJob = () => {
    const card = document.getElementById("job");
    if (!card || /finished|failed/.test(card.dataset.status || "")) return;
    const tick = async () => {
      const response = await fetch(window.location.href, { headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html").getElementById("job");
      if (!fresh) return;
      document.getElementById("job").replaceWith(fresh);
      drawBars(fresh);
      if (!/finished|failed/.test(fresh.dataset.status || "")) setTimeout(tick, 1000);
    };
    setTimeout(tick, 1000);
  };

  // A fragment with data-refresh-url is fetched again after data-expires seconds and swapped in (the
  // check-in QR code, which changes every 30 seconds).
  const refreshFragments = () => {
    document.querySelectorAll("[data-refresh-url]").forEach((first) => {
      const id = first.id;
      const url = first.dataset.refreshUrl;
      const later = (el) => (parseInt(el && el.dataset.expires, 10) || 30) * 1000;
      const refresh = async () => {
        try {
          const response = await fetch(url, { headers: { Accept: "text/html" } });
          if (response.ok) {
            const html = new DOMParser().parseFromString(await response.text(), "text/html");
            const fresh = html.getElementById(id);
            if (fresh) document.getElementById(id).replaceWith(fresh);
          }
        } finally {
          setTimeout(refresh, later(document.getElementById(id)));
        }
      };
      setTimeout(refresh, later(first));
    });
  };

  document.addEventListener("DOMContentLoaded", () => {
    // A form sent back with mistakes: bring the first marked field into view.
    const field = document.querySelector('[aria-invalid="true"]');
    if (field) { field.scrollIntoView({ block: "center" }); field.focus({ preventScroll: true }); }
    drawBars(document);
    pollJob();
    refreshFragments();
  });
})();
