// The reference pages' behaviour: signing in (the access token goes to the
// access_token cookie, which authenticates the pages' GET requests, and to
// localStorage, where the playground reads it), example tabs in one
// language across the page, and copy buttons.
(function () {
  'use strict';
  var TOKEN = 'fastcms_access_token';
  var LANG = 'fastcms_example_lang';

  function setToken(token, seconds) {
    var secure = location.protocol === 'https:' ? '; Secure' : '';
    if (token) {
      document.cookie = 'access_token=' + token + '; Path=/; Max-Age=' + seconds + '; SameSite=Strict' + secure;
      localStorage.setItem(TOKEN, token);
    } else {
      document.cookie = 'access_token=; Path=/; Max-Age=0; SameSite=Strict' + secure;
      localStorage.removeItem(TOKEN);
    }
  }

  function signIn(form) {
    var error = document.getElementById('sign-in-error');
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      error.textContent = '';
      fetch('/api/v1/auth/login', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: form.email.value, password: form.password.value })
      }).then(function (res) {
        return res.json().then(function (body) {
          if (!res.ok) throw new Error((body.error && body.error.message) || body.message || 'sign-in failed');
          setToken(body.token.access_token, body.token.expires_in);
          location.reload();
        });
      }).catch(function (err) { error.textContent = err.message; });
    });
  }

  function selectLang(lang, focusTab) {
    document.querySelectorAll('.examples').forEach(function (box) {
      if (!box.querySelector('[role=tab][data-lang="' + lang + '"]')) return;
      box.querySelectorAll('[role=tab]').forEach(function (tab) {
        var on = tab.dataset.lang === lang;
        tab.setAttribute('aria-selected', on ? 'true' : 'false');
        tab.tabIndex = on ? 0 : -1;
        if (on && tab === focusTab) tab.focus();
      });
      box.querySelectorAll('[role=tabpanel]').forEach(function (panel) {
        panel.hidden = panel.dataset.lang !== lang;
      });
    });
  }

  function tabs() {
    document.addEventListener('click', function (ev) {
      var tab = ev.target.closest('[role=tab]');
      if (tab) {
        localStorage.setItem(LANG, tab.dataset.lang);
        selectLang(tab.dataset.lang, tab);
        tab.scrollIntoView({ block: 'nearest' });
        return;
      }
      var copy = ev.target.closest('.copy');
      if (copy) {
        var code = copy.parentElement.querySelector('code').textContent;
        navigator.clipboard.writeText(code).then(function () {
          copy.textContent = 'Copied';
          setTimeout(function () { copy.textContent = 'Copy'; }, 1500);
        }, function () { copy.textContent = 'Select and copy'; });
      }
    });
    document.addEventListener('keydown', function (ev) {
      var tab = ev.target.closest && ev.target.closest('[role=tab]');
      if (!tab || (ev.key !== 'ArrowRight' && ev.key !== 'ArrowLeft')) return;
      var all = Array.prototype.slice.call(tab.parentElement.querySelectorAll('[role=tab]'));
      var next = all[(all.indexOf(tab) + (ev.key === 'ArrowRight' ? 1 : all.length - 1)) % all.length];
      localStorage.setItem(LANG, next.dataset.lang);
      selectLang(next.dataset.lang, next);
      ev.preventDefault();
    });
    var saved = localStorage.getItem(LANG);
    if (saved) selectLang(saved, null);
  }

  document.addEventListener('DOMContentLoaded', function () {
    var form = document.getElementById('sign-in');
    if (form) signIn(form);
    var out = document.getElementById('sign-out');
    if (out) out.addEventListener('click', function () { setToken('', 0); location.reload(); });
    tabs();
  });
})();
