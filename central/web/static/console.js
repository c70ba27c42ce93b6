// The one script of the console: "select all" on the inbox page. Everything works without it.
document.addEventListener("DOMContentLoaded", () => {
  const all = document.getElementById("select-all");
  if (!all) return;
  all.addEventListener("change", () => {
    for (const box of document.querySelectorAll('input[name="ids"]')) box.checked = all.checked;
  });
});
