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
    const why = exception && exception.name === 'NotAllowedError'
      ? 'It was cancelled, timed out, or this device has no passkey for this site.'
      : 'Your browser or device refused it.'
    box.textContent = 'The passkey was not used. ' + why + ' Try again, or use another way to sign in.'
  })
})()
