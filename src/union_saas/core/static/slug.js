// The link name of a new union, shown while its name is typed: <input data-slug-url="..."> (the slug field)
// asks the server for the pinyin of the name field it names in data-slug-from, and fills itself in until
// the person edits it. Without this script the server makes the same link name from the name.
(() => {
  const wire = (slug) => {
    const name = document.getElementById(slug.dataset.slugFrom);
    const preview = document.getElementById(slug.dataset.slugPreview);
    if (!name) return;
    let timer = null;
    let asked = 0;
    const show = (value) => {
      if (!preview) return;
      preview.hidden = !value;
      const out = preview.querySelector("output");
      if (out) out.textContent = value;
    };
    slug.addEventListener("input", () => {
      slug.dataset.edited = slug.value.trim() ? "true" : "";
      show(slug.value.trim());
    });
    const ask = async (tries = 3) => {
      const text = name.value.trim();
      if (slug.dataset.edited === "true") return;
      if (!text) { slug.value = ""; show(""); return; }
      const mine = ++asked;
      const url = `${slug.dataset.slugUrl}?name=${encodeURIComponent(text)}`;
      let response = null;
      try {
        response = await fetch(url, { headers: { Accept: "application/json" } });
      } catch (error) {
        response = null;
      }
      if (mine !== asked || slug.dataset.edited === "true") return;
      if (!response || !response.ok) {
        // a busy server: ask again a little later (a name too long gets 422 each time: stop)
        if (tries > 1 && (!response || response.status >= 500 || response.status === 409)) {
          setTimeout(() => { if (mine === asked) ask(tries - 1); }, 500);
        }
        return;
      }
      const body = await response.json();
      slug.value = body.slug;
      show(body.slug);
    };
    name.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => ask(), 250); });
    if (slug.value.trim()) { slug.dataset.edited = "true"; show(slug.value.trim()); } else if (name.value.trim()) ask();
  };
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("input[data-slug-url]").forEach(wire);
  });
})();
