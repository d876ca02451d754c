import { describe, expect, it } from "vitest";
import { EMPTY_LEAD, campaignInput, leadInput, singleLeadErrors } from "./leadIntake";

describe("campaignInput", () => {
  const draft = { name: "  Messe 2027 ", description: " ", startsOn: "", endsOn: "2027-03-01" };

  it("trims and sends empty optional fields as null", () => {
    expect(campaignInput({ ...draft, retentionDays: " " }, true)).toEqual({
      input: {
        name: "Messe 2027",
        description: null,
        startsOn: null,
        endsOn: "2027-03-01",
        retentionDays: null,
      },
    });
  });

  it("sends the retention as whole days and refuses anything else before sending", () => {
    expect(campaignInput({ ...draft, retentionDays: " 180 " }, true)).toMatchObject({
      input: { retentionDays: 180 },
    });
    for (const typed of ["0", "-5", "1,5", "ein Jahr"]) {
      expect(campaignInput({ ...draft, retentionDays: typed }, true)).toEqual({
        error: { code: "INVALID", message: "", field: ["retentionDays"] },
      });
    }
  });

  it("leaves the retention out for a manager (admins only set it), whatever was typed", () => {
    for (const typed of ["", "180", "ein Jahr"]) {
      const checked = campaignInput({ ...draft, retentionDays: typed }, false);
      expect(checked).toEqual({
        input: { name: "Messe 2027", description: null, startsOn: null, endsOn: "2027-03-01" },
      });
      expect("input" in checked && "retentionDays" in checked.input).toBe(false);
    }
  });
});

describe("leadInput", () => {
  it("trims, leaves empty fields out as null and always sends the last name", () => {
    expect(leadInput({ ...EMPTY_LEAD, lastName: " Muster ", email: " erika@example.com" })).toEqual(
      {
        firstName: null,
        lastName: "Muster",
        company: null,
        email: "erika@example.com",
        phone: null,
        street: null,
        postalCode: null,
        city: null,
        country: null,
      },
    );
    expect(leadInput(EMPTY_LEAD).lastName).toBe("");
  });
});

describe("singleLeadErrors", () => {
  it("names the form's field for errors of the one lead, keeps the others", () => {
    const email = { code: "REQUIRED", message: "email or phone", field: ["leads", "0", "email"] };
    const campaign = { code: "NOT_FOUND", message: "gone", field: ["campaignId"] };
    const batch = { code: "REQUIRED", message: "none", field: ["leads"] };
    expect(singleLeadErrors([email, campaign, batch])).toEqual([
      { ...email, field: ["email"] },
      campaign,
      batch,
    ]);
  });
});
