// Sign-in pages: say so when a passkey ceremony fails (cancelled, timed out, no passkey for this
// site), where allauth's mfa/js/webauthn.js only writes to the console. Loaded as a static file:
// the CSP allows no inline script.
(function () {
  document.addEventListener('allauth.error', function (event) {
    event.preventDefault()
    const card = document.querySelector('.signin-card')
    if (!card) return
    let box = document.getElementById('signin-passkey-error')
    if (!box) {
      box = document.createElement('div')
      box.id = 'signin-passkey-error'
      box.className = 'signin-alert signin-alert-error'
      box.setAttribute('role', 'alert')
      card.prepend(box)
    }
    const exception = event.detail && event.detail.exception
    const name = exception && exception.name
    let why = 'Your browser or device refused it.'
    if (name === 'NotAllowedError') {
      why = 'It was cancelled, timed out, or this device has no passkey for this site.'
    } else if (name === 'SecurityError') {
      // Browsers refuse a passkey for an IP address such as 127.0.0.1.
      why = 'Passkeys need the site\'s name in the address bar (for the demo, http://localhost:8000), not an IP address.'
    }
    box.textContent = 'The passkey was not used. ' + why + ' Try again, or use another way to sign in.'
  })
})()
