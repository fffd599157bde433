use super::*;

#[test]
fn xml_text_is_escaped() {
    assert_eq!(xml("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
}
