// A category's extra attributes (lamp-post number, vehicle plate): form inputs drawn from the
// definitions /api/v1/categories serves (name in the page's language, datatype, required),
// the values read back, and the server's rule for a missing one checked before sending.
import { t } from './common.js';

export const MAX_ATTRIBUTE_CHARS = 200; // the server's limit (dispatch/intake.py)

// The category's attribute definitions in their display order.
export function attributeSpecs(category) {
  return [...(category?.attributes || [])].sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
}

// Inputs for `specs` in `container`, holding `values` (what was typed before a rebuild: a new
// language or category keeps it). Hidden when the category asks for nothing.
export function renderAttributeInputs(container, specs, values = {}) {
  container.replaceChildren(...specs.map((spec) => {
    const label = document.createElement('label');
    const name = document.createElement('span');
    name.textContent = spec.required ? `${spec.name} *` : spec.name;
    const input = spec.datatype === 'text'
      ? document.createElement('textarea') : document.createElement('input');
    if (spec.datatype === 'number') input.inputMode = 'decimal';
    input.id = `${container.id}-${spec.code}`;
    input.dataset.attribute = spec.code;
    input.maxLength = MAX_ATTRIBUTE_CHARS;
    input.autocomplete = 'off';
    // aria-required, not required: the page says what is missing in its own words (the
    // browser's bubble would stop the submit silently on a form without novalidate).
    if (spec.required) input.setAttribute('aria-required', 'true');
    input.value = values[spec.code] || '';
    label.append(name, ' ', input);
    return label;
  }));
  container.hidden = specs.length === 0;
}

// The values typed, trimmed; blank ones left out (the server takes blank for missing).
export function readAttributes(container) {
  const values = {};
  container.querySelectorAll('[data-attribute]').forEach((input) => {
    const value = input.value.trim();
    if (value) values[input.dataset.attribute] = value;
  });
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

// A focus on the first input of a missing attribute, so it can be filled at once.
export function focusAttribute(container, spec) {
  container.querySelector(`[data-attribute="${CSS.escape(spec.code)}"]`)?.focus();
}
