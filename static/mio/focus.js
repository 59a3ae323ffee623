// The first field of a sign-in, two-factor or invitation form gets the cursor, unless the page
// already chose one (autofocus). A static file: the CSP allows no inline script.
document.addEventListener("DOMContentLoaded", function () {
  if (document.querySelector("[autofocus]")) {
    return;
  }
  var field = document.querySelector(
    ".auth-box form input:not([type=hidden]):not([disabled]), .auth-box form select"
  );
  if (field) {
    field.focus();
  }
});
