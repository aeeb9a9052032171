// tools/UnicodeJavaDump.java - prints, for every code point, what Java and
// ICU say of it, for tools/gen_unicode_tables.py --check to compare with
// the generated tables (a check run by hand; `make test` needs no Java).
//
//   J=/tmp/pyspark-venv/lib/python3.11/site-packages/pyspark/jars
//   javac -cp $J/icu4j-78.3.jar -d /tmp tools/UnicodeJavaDump.java
//   java -cp /tmp:$J/icu4j-78.3.jar UnicodeJavaDump > /tmp/java.tsv
//   python3 tools/gen_unicode_tables.py --check /tmp/java.tsv
//
// Columns (hex, tab-separated): code point; ICU's simple upper, lower and
// title (UCharacter.toUpperCase(int) and so on, what Spark's initcap
// uses); ICU's Cased and Case_Ignorable (0/1); Java's Character.isLetter,
// isDigit and isWhitespace (0/1). The Java and ICU versions come first, on
// a line starting with '#'.
import com.ibm.icu.lang.UCharacter;
import com.ibm.icu.lang.UProperty;

public class UnicodeJavaDump {
	public static void main(String[] args) {
		StringBuilder sb = new StringBuilder();
		sb.append("# java ").append(System.getProperty("java.version"))
			.append(" icu ").append(com.ibm.icu.util.VersionInfo.ICU_VERSION)
			.append(" unicode ").append(UCharacter.getUnicodeVersion())
			.append('\n');
		for (int c = 0; c <= 0x10FFFF; c++) {
			if (c >= 0xD800 && c <= 0xDFFF)
				continue;
			sb.append(Integer.toHexString(c)).append('\t')
				.append(Integer.toHexString(UCharacter.toUpperCase(c))).append('\t')
				.append(Integer.toHexString(UCharacter.toLowerCase(c))).append('\t')
				.append(Integer.toHexString(UCharacter.toTitleCase(c))).append('\t')
				.append(UCharacter.hasBinaryProperty(c, UProperty.CASED) ? 1 : 0).append('\t')
				.append(UCharacter.hasBinaryProperty(c, UProperty.CASE_IGNORABLE) ? 1 : 0).append('\t')
				.append(Character.isLetter(c) ? 1 : 0).append('\t')
				.append(Character.isDigit(c) ? 1 : 0).append('\t')
				.append(Character.isWhitespace(c) ? 1 : 0).append('\n');
		}
		System.out.print(sb);
	}
}
