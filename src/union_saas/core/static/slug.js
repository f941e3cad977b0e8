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
    const ask = async () => {
      const text = name.value.trim();
      if (slug.dataset.edited === "true") return;
      if (!text) { slug.value = ""; show(""); return; }
      const mine = ++asked;
      const url = `${slug.dataset.slugUrl}?name=${encodeURIComponent(text)}`;
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok || mine !== asked || slug.dataset.edited === "true") return;
      const body = await response.json();
      slug.value = body.slug;
      show(body.slug);
    };
    name.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(ask, 250); });
    if (slug.value.trim()) { slug.dataset.edited = "true"; show(slug.value.trim()); } else if (name.value.trim()) ask();
  };
  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("input[data-slug-url]").forEach(wire);
  });
})();
