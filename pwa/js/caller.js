// The 120 agent's form on the dispatcher page: a caller's report, the place picked on the map.
import { api, explain, LANG_NAMES, LANGS, show, t } from './common.js';
import { locate as locateArea } from './workflow.js';
import {
  attributeProblem, attributeSpecs, focusAttribute, missingRequired, readAttributes,
  renderAttributeInputs, requiredMessage, typedValues,
} from './attributes.js';

const $ = (id) => document.getElementById(id);
let categories = []; // with their attribute definitions (lamp-post number, plate)

function chosenSpecs() {
  return attributeSpecs(categories.find((c) => c.code === $('c-category').value));
}

// The chosen category's extra fields; what was typed stays over a language change.
function renderAttributes() {
  const box = $('c-attributes');
  renderAttributeInputs(box, chosenSpecs(), typedValues(box));
}

// `map`: the dispatcher's Leaflet map; `token()`: the staff token; `onFiled(publicId)`: after
// a complaint is stored; `lostSession(err)`: true when it handled a 401.
export function callerForm(map, { token, onFiled, lostSession }) {
  const form = $('caller-form');
  let clientRef = crypto.randomUUID(); // made when the form starts: the Idempotency-Key
  let point = null;
  let pin = null;

  async function locate(lonlat) {
    point = lonlat;
    const where = $('caller-where');
    where.textContent = '…';
    try {
      const found = await locateArea(lonlat);
      where.textContent = `${found.district.name} ${found.dong.name}`;
      where.dataset.state = 'inside';
    } catch (err) {
      where.textContent = explain(err);
      where.dataset.state = 'outside';
    }
  }

  function place(lonlat) {
    const latlng = [lonlat[1], lonlat[0]];
    if (!pin) {
      pin = L.marker(latlng, { draggable: true, keyboard: true, title: t('caller_title') }).addTo(map);
      pin.on('dragend', () => { const p = pin.getLatLng(); locate([p.lng, p.lat]); });
    } else pin.setLatLng(latlng);
    locate(lonlat);
  }

  function clear() {
    form.reset();
    renderAttributeInputs($('c-attributes'), [], {});
    renderAttributes(); // the reset category's fields, empty
    if (pin) { pin.remove(); pin = null; }
    point = null;
    $('caller-where').textContent = '—';
    $('caller-where').dataset.state = 'none';
    clientRef = crypto.randomUUID();
  }

  $('c-category').addEventListener('change', renderAttributes);

  // Clicks on the map pick the caller's place only while the form is open.
  map.on('click', (event) => {
    if ($('caller').open) place([event.latlng.lng, event.latlng.lat]);
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const result = $('caller-result');
    if (!point) { show(result, t('caller_pick_first'), 'error'); return; }
    const data = new FormData(form);
    const body = {
      category: data.get('category'), location: { type: 'Point', coordinates: point },
      description: data.get('description').trim(), language: data.get('language'),
    };
    if (data.get('address').trim()) body.address = data.get('address').trim();
    if (data.get('phone').trim()) body.phone = data.get('phone').trim();
    // A required attribute left empty is said before sending (the server's rule).
    const specs = chosenSpecs();
    const attributes = readAttributes($('c-attributes'));
    const missing = missingRequired(specs, attributes);
    if (missing) {
      show(result, requiredMessage(missing), 'error');
      focusAttribute($('c-attributes'), missing);
      return;
    }
    body.attributes = attributes;
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const created = await api('/api/v1/staff/complaints', {
        method: 'POST', body, token: token(), headers: { 'Idempotency-Key': clientRef },
      });
      clear();
      show(result, `${t('caller_filed')} ${created.public_id}`, 'success');
      result.dataset.publicId = created.public_id;
      onFiled(created.public_id);
    } catch (err) {
      if (!lostSession(err)) show(result, attributeProblem(err, specs) || explain(err), 'error');
    } finally {
      button.disabled = false;
    }
  });
}

// Fill the category and language choices (names in the page's language), and the chosen
// category's attribute fields.
export function fillCallerChoices(list) {
  categories = list;
  const category = $('c-category');
  const chosen = category.value;
  category.replaceChildren(...categories.map((c) => new Option(c.name, c.code)));
  if (chosen) category.value = chosen;
  renderAttributes();
  const language = $('c-language');
  const spoken = language.value || 'ko';
  language.replaceChildren(...LANGS.map((code) => new Option(LANG_NAMES[code], code)));
  language.value = spoken;
}
