/* Treatment-center chat widget. Usage:
   <script src="https://BOT_HOST/embed.js" data-position="bottom-right" data-accent="#1f6f8b"
           data-name="Example Recovery" data-greeting="Hi!" data-phone="+1 555 0100" async></script>
   Everything lives in a shadow root with all:initial: no CSS goes in or out of the host page. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__botWidgetLoaded) return;
  window.__botWidgetLoaded = true;
  var origin = new URL(script.src, location.href).origin;
  var keys = ["name", "greeting", "accent", "phone", "cta", "position"];
  var params = new URLSearchParams();
  keys.forEach(function (k) { if (script.dataset[k]) params.set(k, script.dataset[k]); });

  fetch(origin + "/api/widget-config?" + params.toString(), {credentials: "omit"})
    .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
    .then(mount)
    .catch(function () {
      console.warn("Chat widget: this site (" + location.origin + ") is not allowed to embed it. " +
                   "Ask the operator to add it to BOT_ALLOWED_ORIGINS.");
    });

  function mount(brand) {
    var host = document.createElement("div");
    host.setAttribute("data-bot-widget", "");
    var root = host.attachShadow({mode: "open"});
    var side = brand.position === "bottom-left" ? "left" : "right";
    var accent = /^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(brand.accent) ? brand.accent : "#1f6f8b";
    var style = document.createElement("style");
    style.textContent =
      ":host{all:initial}" +
      "*{box-sizing:border-box;font-family:system-ui,-apple-system,'Segoe UI',sans-serif}" +
      ".launcher{position:fixed;bottom:20px;" + side + ":20px;z-index:2147483646;width:60px;height:60px;" +
      "border-radius:50%;border:0;background:" + accent + ";color:#fff;cursor:pointer;font-size:26px;" +
      "box-shadow:0 4px 14px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center}" +
      ".launcher:focus-visible{outline:3px solid #111;outline-offset:3px}" +
      ".launcher img{width:34px;height:34px;border-radius:50%;object-fit:cover}" +
      ".panel{position:fixed;bottom:92px;" + side + ":20px;z-index:2147483647;width:380px;height:600px;" +
      "max-height:calc(100vh - 110px);background:#fff;border-radius:14px;overflow:hidden;" +
      "box-shadow:0 10px 40px rgba(0,0,0,.3);display:none;flex-direction:column}" +
      ".panel.open{display:flex}" +
      ".bar{display:flex;align-items:center;justify-content:space-between;padding:8px 12px;background:" + accent +
      ";color:#fff;font-size:15px;font-weight:600}" +
      ".close{background:transparent;border:0;color:#fff;font-size:22px;line-height:1;cursor:pointer;padding:2px 8px}" +
      ".close:focus-visible{outline:2px solid #fff}" +
      "iframe{border:0;width:100%;flex:1}" +
      "@media (max-width:480px){.panel{inset:0;width:100vw;height:100vh;max-height:none;border-radius:0}" +
      ".launcher{bottom:14px;" + side + ":14px}}";
    var launcher = document.createElement("button");
    launcher.className = "launcher";
    launcher.type = "button";
    launcher.setAttribute("aria-label", "Open chat with " + brand.name);
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-controls", "bot-panel");
    if (/^https:\/\//.test(brand.logo || "")) {
      var logo = document.createElement("img");
      logo.src = brand.logo;
      logo.alt = "";
      launcher.appendChild(logo);
    } else {
      launcher.innerHTML = '<svg width="28" height="28" viewBox="0 0 24 24" aria-hidden="true" fill="none" ' +
        'stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">' +
        '<path d="M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z"/></svg>';
    }
    var panel = document.createElement("div");
    panel.className = "panel";
    panel.id = "bot-panel";
    panel.setAttribute("role", "dialog");
    panel.setAttribute("aria-label", brand.name + " chat");
    var bar = document.createElement("div");
    bar.className = "bar";
    var title = document.createElement("span");
    title.textContent = brand.name;
    var close = document.createElement("button");
    close.className = "close";
    close.type = "button";
    close.setAttribute("aria-label", "Close chat");
    close.textContent = "\u00D7";
    bar.appendChild(title);
    bar.appendChild(close);
    panel.appendChild(bar);
    var frame = null;

    function open() {
      if (!frame) {
        frame = document.createElement("iframe");
        frame.title = brand.name + " chat";
        frame.src = origin + "/widget/?" + params.toString();
        frame.setAttribute("referrerpolicy", "no-referrer");
        panel.appendChild(frame);
      }
      panel.classList.add("open");
      launcher.setAttribute("aria-expanded", "true");
      setTimeout(function () { frame.focus(); }, 50);
    }
    function shut() {
      panel.classList.remove("open");
      launcher.setAttribute("aria-expanded", "false");
      launcher.focus();
    }
    launcher.addEventListener("click", function () { panel.classList.contains("open") ? shut() : open(); });
    close.addEventListener("click", shut);
    panel.addEventListener("keydown", function (e) { if (e.key === "Escape") shut(); });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && panel.classList.contains("open")) shut();
    });
    window.addEventListener("message", function (e) {
      if (e.origin === origin && e.data && e.data.type === "bot-widget-close") shut();
    });
    root.appendChild(style);
    root.appendChild(panel);
    root.appendChild(launcher);
    document.body.appendChild(host);
  }
})();
