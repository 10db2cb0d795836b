// A category's extra attributes (lamp-post number, vehicle plate): form inputs drawn from the
// definitions /api/v1/categories serves (name in the page's language, datatype, required,
// the choices of a list),
// the values read back, and the server's rule for a missing one checked before sending.
import { t } from './common.js';

export const MAX_ATTRIBUTE_CHARS = 200; // the server's limit (dispatch/intake.py)

// The category's attribute definitions in their display order.
export function attributeSpecs(category) {
  return [...(category?.attributes || [])].sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
}

// Inputs for `specs` in `container`, holding `values` (what was typed before a rebuild: a new
// language or category keeps it). Hidden when the category asks for nothing. Each control
// fits its datatype: a list of choices is a <select> (one) or checkboxes (several), a number
// a decimal keypad, a datetime the browser's picker; the value is what the server expects.
export function renderAttributeInputs(container, specs, values = {}) {
  container.replaceChildren(...specs.map((spec) => {
    const value = values[spec.code] || '';
    if (spec.datatype === 'multivaluelist') return choicesFieldset(container, spec, value);
    const label = document.createElement('label');
    const name = document.createElement('span');
    name.textContent = spec.required ? `${spec.name} *` : spec.name;
    const input = control(spec);
    input.id = `${container.id}-${spec.code}`;
    input.dataset.attribute = spec.code;
    // aria-required, not required: the page says what is missing in its own words (the
    // browser's bubble would stop the submit silently on a form without novalidate).
    if (spec.required) input.setAttribute('aria-required', 'true');
    input.value = value;
    label.append(name, ' ', input);
    return label;
  }));
  container.hidden = specs.length === 0;
}

// The input element for one attribute of any datatype but multivaluelist.
function control(spec) {
  if (spec.datatype === 'singlevaluelist') {
    const select = document.createElement('select');
    // An empty first choice, required or not: nothing is chosen for the citizen (a
    // required one left on it is said before sending, as a blank text box is).
    const none = new Option(t('attribute_choose'), '');
    select.append(none, ...(spec.values || []).map((choice) => new Option(choice.name, choice.key)));
    return select;
  }
  const input = document.createElement(spec.datatype === 'text' ? 'textarea' : 'input');
  if (spec.datatype === 'datetime') {
    input.type = 'datetime-local'; // local time without an offset, as the server reads it
  } else {
    if (spec.datatype === 'number') input.inputMode = 'decimal';
    input.maxLength = MAX_ATTRIBUTE_CHARS;
  }
  input.autocomplete = 'off';
  return input;
}

// Several choices: checkboxes in a fieldset named by its legend; `value` is keys joined by ','.
function choicesFieldset(container, spec, value) {
  const fieldset = document.createElement('fieldset');
  fieldset.id = `${container.id}-${spec.code}`;
  fieldset.dataset.attribute = spec.code;
  const legend = document.createElement('legend');
  legend.textContent = spec.required ? `${spec.name} *` : spec.name;
  const chosen = new Set(value.split(',').map((key) => key.trim()));
  fieldset.append(legend, ...(spec.values || []).map((choice) => {
    const label = document.createElement('label');
    label.className = 'choice';
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.value = choice.key;
    box.checked = chosen.has(choice.key);
    const name = document.createElement('span');
    name.textContent = choice.name;
    label.append(box, name);
    return label;
  }));
  return fieldset;
}

// One attribute control's value as the server takes it (checkboxes: keys joined by ',').
function valueOf(element) {
  if (element.tagName === 'FIELDSET') {
    return [...element.querySelectorAll('input[type=checkbox]:checked')].map((box) => box.value).join(',');
  }
  return element.value;
}

// The values as they stand, blank ones too (a rebuild keeps a cleared field cleared).
export function typedValues(container) {
  const values = {};
  container.querySelectorAll('[data-attribute]').forEach((element) => {
    values[element.dataset.attribute] = valueOf(element);
  });
  return values;
}

// The values typed, trimmed; blank ones left out (the server takes blank for missing).
export function readAttributes(container) {
  const values = {};
  for (const [code, typed] of Object.entries(typedValues(container))) {
    const value = typed.trim();
    if (value) values[code] = value;
  }
  return values;
}

// The first required attribute without a value, or null: the server's rule
// (dispatch/intake.py _validated_attributes), checked so the form is fixed before it is sent.
export function missingRequired(specs, values) {
  return specs.find((spec) => spec.required && !(values[spec.code] || '').trim()) || null;
}

// The message for a required attribute left empty, naming it.
export function requiredMessage(spec) {
  return t('attribute_required').replace('{name}', spec.name);
}

// The server's refusal of an attribute in words, naming it as the form does; null when the
// error is about something else.
export function attributeProblem(error, specs = []) {
  const details = error?.body?.details;
  if (error?.code !== 'invalid_complaint' || !details?.problem) return null;
  const spec = specs.find((s) => s.code === details.attribute);
  return t(`attribute_${details.problem}`).replace('{name}', spec ? spec.name : details.attribute || '');
}

// A stored value as staff read it: the choices of a list by their names in the page's
// language (the keys are what is stored), anything else as it is.
export function attributeText(spec, value) {
  if (!spec || !['singlevaluelist', 'multivaluelist'].includes(spec.datatype)) return String(value);
  const names = new Map((spec.values || []).map((choice) => [choice.key, choice.name]));
  return String(value).split(',').map((key) => names.get(key.trim()) || key.trim()).join(', ');
}

// A focus on the first input of a missing attribute, so it can be filled at once.
export function focusAttribute(container, spec) {
  const element = container.querySelector(`[data-attribute="${CSS.escape(spec.code)}"]`);
  (element?.tagName === 'FIELDSET' ? element.querySelector('input') : element)?.focus();
}
